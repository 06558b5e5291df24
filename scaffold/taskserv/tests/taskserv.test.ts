import { describe, expect, it, loadForTest, type PermissionSet } from 'prov/testing';

// Run with `prov test`: each test loads the sandboxed build of this extension
// (metadata.toml, src/ bundled, an isolate) with a grant of its own. They act
// on the server `local` (this machine) in check mode only, where prov
// performs no mutating call: reads run, writes and restarts are planned. So
// they change nothing here and need no root.

const UNIT_FILE = '/etc/systemd/system/{{name}}.service';
const CONFIG_FILE = '/etc/{{name}}/config.env';
const PROGRAM_FILE = '/usr/local/lib/{{name}}/server.py';

/** What metadata.toml asks for, as an operator would grant it: for `local` only. */
const GRANT: PermissionSet = {
  servers: ['local'],
  exec: ['/usr/bin/curl'],
  systemctl: ['{{name}}.service'],
  remote_read: ['/etc/{{name}}', '/usr/local/lib/{{name}}', UNIT_FILE],
  remote_write: ['/etc/{{name}}', '/usr/local/lib/{{name}}', UNIT_FILE],
};

describe('{{name}} install in check mode', () => {
  it('plans the program, the config, the unit, daemon-reload, enable, start and the health check, and performs none of it', async () => {
    await using ext = await loadForTest({ grant: GRANT });
    const { result, changed, plan, audit } = await ext.run('install', { port: 8181, log_level: 'debug' }, { target: 'local', check: true });

    expect(result).toMatchObject({ service: '{{name}}.service', server: 'local', version: '1.2.0', port: 8181, log_level: 'debug', status: 'planned' });
    expect(changed).toBe(true); // would change
    expect(plan!.map((entry) => [entry.call, entry.target])).toEqual([
      ['servers.mkdir', 'local:/usr/local/lib/{{name}}'],
      ['servers.upload', `local:${PROGRAM_FILE}`],
      ['servers.mkdir', 'local:/etc/{{name}}'],
      ['servers.upload', `local:${CONFIG_FILE}`],
      ['servers.upload', `local:${UNIT_FILE}`],
      ['systemctl daemon-reload', 'local: (daemon)'],
      ['systemctl enable', 'local: {{name}}.service'],
      ['systemctl start', 'local: {{name}}.service'],
      ['servers.exec', 'local: "/usr/bin/curl" "-fsS" "--max-time" "2" "http://127.0.0.1:8181/health"'],
    ]);
    // The config file as it would be written: the plan carries its diff.
    const config = plan!.find((entry) => entry.target === `local:${CONFIG_FILE}`)!;
    expect(config.diff).toContain('+SERVICE_PORT=8181\n');
    expect(config.diff).toContain('+SERVICE_LOG_LEVEL=debug\n');

    // Every call was checked against the grant and audited; only reads were performed.
    expect(audit.filter((record) => record.decision === 'denied')).toEqual([]);
    const performed = audit.filter((record) => record.decision === 'allowed').map((record) => record.call);
    expect(new Set(performed)).toEqual(new Set(['servers.download', 'systemctl']));
    expect(audit.filter((record) => record.decision === 'planned')).toHaveLength(plan!.length);

    // Nothing was installed.
    expect((await ext.run('get-current-version', undefined, { target: 'local' })).result).toBeNull();
  });

  it('is denied when the grant leaves out where it writes', async () => {
    const { remote_write: _left_out, ...withoutWrites } = GRANT;
    await using ext = await loadForTest({ grant: withoutWrites });
    await expect(ext.run('install', {}, { target: 'local', check: true })).rejects.toMatchObject({ code: 'PermissionDenied' });
    const denied = ext.audit.filter((record) => record.decision === 'denied');
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ call: 'servers.mkdir', permission: { key: 'remote_write' } });
  });

  it('checks its input before it runs', async () => {
    await using ext = await loadForTest({ grant: GRANT });
    await expect(ext.run('install', { port: 80 }, { target: 'local', check: true })).rejects.toMatchObject({ code: 'InvalidInput' });
    expect(ext.audit).toEqual([]);
  });

  it('needs a server', async () => {
    await using ext = await loadForTest({ grant: GRANT });
    await expect(ext.run('install', {}, { check: true })).rejects.toMatchObject({ code: 'OperationFailed', message: expect.stringContaining('--server') });
  });
});

describe('{{name}} versions', () => {
  it('lists the versions it can install, with no grant at all', async () => {
    await using ext = await loadForTest();
    expect((await ext.run('get-available-versions')).result).toEqual(['1.0.0', '1.1.0', '1.2.0']);
    expect(ext.audit).toEqual([]);
  });
});
