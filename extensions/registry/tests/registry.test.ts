import { describe, expect, it, loadForTest, type PermissionSet } from 'prov/testing';

// Run with `prov test`: the sandboxed build, on the server `local`, in check
// mode only (reads run; downloads, writes and restarts are planned). The real
// install is test/e2e/reference-taskservs.test.ts.

const MIRROR = 'http://mirror.test/distribution/distribution/releases/download';

/** What metadata.toml asks for, as an operator would grant it: for `local` only. */
const GRANT: PermissionSet = {
  servers: ['local'],
  exec: ['/usr/bin/curl', '/usr/bin/sha256sum', '/usr/bin/tar'],
  systemctl: ['registry.service'],
  remote_read: ['/var/lib/prov-registry', '/etc/distribution', '/etc/systemd/system/registry.service'],
  remote_write: ['/var/lib/prov-registry', '/etc/distribution', '/etc/systemd/system/registry.service', '/usr/local/bin/registry'],
};

describe('registry install in check mode', () => {
  it('plans the download, the checksum, the unpacking of the binary, the files and the probe, and performs none of it', async () => {
    await using ext = await loadForTest({ grant: GRANT });
    const { result, changed, plan, audit } = await ext.run('install', { version: '2.8.3', mirror: MIRROR, address: '0.0.0.0', port: 5001 }, { target: 'local', check: true });

    expect(result).toMatchObject({ service: 'registry.service', version: '2.8.3', status: 'planned', url: 'http://127.0.0.1:5001/v2/' });
    expect(changed).toBe(true);
    const execs = plan!.filter((entry) => entry.call === 'servers.exec').map((entry) => entry.target);
    expect(execs).toEqual([
      `local: "/usr/bin/curl" "-fsSL" "--retry" "2" "--connect-timeout" "10" "-o" "/var/lib/prov-registry/download/registry_2.8.3_linux_amd64.tar.gz" "${MIRROR}/v2.8.3/registry_2.8.3_linux_amd64.tar.gz"`,
      `local: "/usr/bin/curl" "-fsSL" "--retry" "2" "--connect-timeout" "10" "${MIRROR}/v2.8.3/registry_2.8.3_linux_amd64.tar.gz.sha256"`,
      'local: "/usr/bin/sha256sum" "/var/lib/prov-registry/download/registry_2.8.3_linux_amd64.tar.gz"',
      'local: "/usr/bin/tar" "-tzf" "/var/lib/prov-registry/download/registry_2.8.3_linux_amd64.tar.gz"',
      'local: "/usr/bin/tar" "-xzf" "/var/lib/prov-registry/download/registry_2.8.3_linux_amd64.tar.gz" "-C" "/usr/local/bin" "--no-same-owner" "registry"',
      'local: "/usr/bin/curl" "-sS" "-o" "/dev/null" "-w" "%{http_code}" "--max-time" "2" "http://127.0.0.1:5001/v2/"',
    ]);
    const config = plan!.find((entry) => entry.target === 'local:/etc/distribution/config.yml')!;
    expect(config.diff).toContain('+  addr: 0.0.0.0:5001\n');
    expect(config.diff).toContain('+    rootdirectory: /var/lib/registry\n');
    expect(new Set(audit.filter((record) => record.decision === 'allowed').map((record) => record.call))).toEqual(new Set(['servers.download', 'systemctl']));
  });

  it('accepts a cluster component\'s install config on uninstall, and refuses unknown fields', async () => {
    await using ext = await loadForTest({ grant: GRANT });
    const { result } = await ext.run('uninstall', { port: 5000, storage_path: '/var/lib/registry' }, { target: 'local', check: true });
    expect(result).toMatchObject({ status: 'absent', steps: [] });
    await expect(ext.run('uninstall', { prot: 5000 }, { target: 'local', check: true })).rejects.toMatchObject({ code: 'InvalidInput' });
  });

  it('checks its input before it runs', async () => {
    await using ext = await loadForTest({ grant: GRANT });
    await expect(ext.run('install', { address: 'example.com' }, { target: 'local', check: true })).rejects.toMatchObject({ code: 'InvalidInput' });
    await expect(ext.run('install', { storage_path: '/var/lib/reg: {x}' }, { target: 'local', check: true })).rejects.toMatchObject({ code: 'InvalidInput' });
    expect(ext.audit).toEqual([]);
  });

  it('lists the versions it knows, with no grant at all', async () => {
    await using ext = await loadForTest();
    expect((await ext.run('get-available-versions')).result).toEqual(['2.8.2', '2.8.3']);
  });
});
