import { describe, expect, it, loadForTest, type PermissionSet } from 'prov/testing';

// Run with `prov test`: each test loads the sandboxed build (metadata.toml,
// src/ bundled, an isolate) with a grant of its own, on the server `local`
// in check mode only: reads run, downloads, writes and restarts are planned.
// They change nothing here. The real install is test/e2e/reference-taskservs.test.ts.

const MIRROR = 'http://mirror.test/containerd/containerd/releases/download';
const TARBALL = `${MIRROR}/v1.7.24/containerd-1.7.24-linux-amd64.tar.gz`;

/** What metadata.toml asks for, as an operator would grant it: for `local` only. */
const GRANT: PermissionSet = {
  servers: ['local'],
  exec: ['/usr/bin/curl', '/usr/bin/sha256sum', '/usr/bin/tar', '/usr/local/bin/ctr'],
  systemctl: ['containerd.service'],
  remote_read: ['/var/lib/prov-containerd', '/etc/containerd', '/etc/systemd/system/containerd.service'],
  remote_write: ['/var/lib/prov-containerd', '/etc/containerd', '/etc/systemd/system/containerd.service', '/usr/local/bin'],
};

describe('containerd install in check mode', () => {
  it('plans the download, the checksum, the unpacking, the files and the systemd calls, and performs none of it', async () => {
    await using ext = await loadForTest({ grant: GRANT });
    const { result, changed, plan, audit } = await ext.run('install', { version: '1.7.24', mirror: MIRROR, registry_mirrors: { 'docker.io': ['http://127.0.0.1:5000'] } }, { target: 'local', check: true });

    expect(result).toMatchObject({ service: 'containerd.service', server: 'local', version: '1.7.24', status: 'planned' });
    expect(changed).toBe(true);
    expect(plan!.map((entry) => entry.call)).toEqual([
      'servers.mkdir', 'servers.mkdir',
      'servers.exec', 'servers.exec', 'servers.exec', 'servers.exec', 'servers.exec',
      'servers.upload', 'servers.mkdir', 'servers.upload', 'servers.upload',
      'systemctl daemon-reload', 'systemctl enable', 'systemctl start',
      'servers.exec',
    ]);
    const execs = plan!.filter((entry) => entry.call === 'servers.exec').map((entry) => entry.target);
    expect(execs[0]).toBe(`local: "/usr/bin/curl" "-fsSL" "--retry" "2" "--connect-timeout" "10" "-o" "/var/lib/prov-containerd/download/containerd-1.7.24-linux-amd64.tar.gz" "${TARBALL}"`);
    expect(execs[1]).toContain(`"${TARBALL}.sha256sum"`);
    expect(execs[4]).toMatch(/^local: "\/usr\/bin\/tar" "-xzf" ".*" "-C" "\/usr\/local" "--no-same-owner" "bin\/containerd"/);
    expect(execs[5]).toBe('local: "/usr/local/bin/ctr" "--address" "/run/containerd/containerd.sock" "--timeout" "2s" "version"');
    // config.toml as it would be written: the mirror is in it.
    const config = plan!.find((entry) => entry.target === 'local:/etc/containerd/config.toml')!;
    expect(config.diff).toContain('+  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n+    endpoint = ["http://127.0.0.1:5000"]\n');

    // Only reads were performed.
    expect(audit.filter((record) => record.decision === 'denied')).toEqual([]);
    expect(new Set(audit.filter((record) => record.decision === 'allowed').map((record) => record.call))).toEqual(new Set(['servers.download', 'systemctl']));
    expect((await ext.run('get-current-version', undefined, { target: 'local' })).result).toBeNull();
  });

  it('is denied when the grant leaves out where it writes', async () => {
    const { remote_write: _left_out, ...withoutWrites } = GRANT;
    await using ext = await loadForTest({ grant: withoutWrites });
    await expect(ext.run('install', { mirror: MIRROR }, { target: 'local', check: true })).rejects.toMatchObject({ code: 'PermissionDenied' });
    expect(ext.audit.filter((record) => record.decision === 'denied')).toMatchObject([{ call: 'servers.mkdir', permission: { key: 'remote_write' } }]);
  });

  it('checks its input before it runs', async () => {
    await using ext = await loadForTest({ grant: GRANT });
    await expect(ext.run('install', { version: 'v1.7.24' }, { target: 'local', check: true })).rejects.toMatchObject({ code: 'InvalidInput' });
    await expect(ext.run('install', { mirror: 'http://x/$(reboot)' }, { target: 'local', check: true })).rejects.toMatchObject({ code: 'InvalidInput' });
    await expect(ext.run('install', { sha256: 'abc' }, { target: 'local', check: true })).rejects.toMatchObject({ code: 'InvalidInput' });
    expect(ext.audit).toEqual([]);
  });

  it('needs a server', async () => {
    await using ext = await loadForTest({ grant: GRANT });
    await expect(ext.run('install', {}, { check: true })).rejects.toMatchObject({ code: 'OperationFailed', message: expect.stringContaining('--server') });
  });

  it('lists the versions it knows, with no grant at all', async () => {
    await using ext = await loadForTest();
    expect((await ext.run('get-available-versions')).result).toEqual(['1.6.20', '1.7.24']);
    expect(ext.audit).toEqual([]);
  });
});
