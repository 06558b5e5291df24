import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProv } from '../helpers/run-cli.js';
import { createTempExtension, type TempExtension } from '../helpers/temp-extension.js';
import { targetSupport } from '../targets/require-target.js';
import { upTarget, type Target } from '../targets/systemd-target.js';

const support = await targetSupport();

/**
 * The inventory, the SSH transport and the local target against a real
 * server: a Debian root booted with systemd-nspawn (real systemd, real sshd),
 * looked at with the test's own ssh, never through prov.
 */
describe.skipIf(!support.available)('servers on a real systemd target', () => {
  let target: Target;
  let home: string;
  let ext: TempExtension;
  const env = () => ({ PROV_HOME: home });
  const grants = [
    '--allow-server', 'tag:test', '--allow-server', 'local',
    '--allow-exec', '/usr/bin/printf', '--allow-exec', '/usr/bin/cat',
    '--allow-remote-read', '/srv/prov-test', '--allow-remote-write', '/srv/prov-test', '--allow-remote-write', '/etc/systemd/system/prov-test.service',
    '--allow-systemctl', 'prov-test.service',
  ];

  beforeAll(async () => {
    target = await upTarget('servers', 2251);
    home = await mkdtemp(path.join(os.tmpdir(), 'prov-servers-home-'));
    await target.ssh('mkdir -p /srv/prov-test');
    ext = await createTempExtension({
      type: 'taskserv',
      manifestExtra: `[permissions]
servers = ["tag:test", "local"]
exec = ["/usr/bin/printf", "/usr/bin/cat"]
remote_read = ["/srv/prov-test"]
remote_write = ["/srv/prov-test", "/etc/systemd/system/prov-test.service"]
systemctl = ["prov-test.service"]
`,
      source: `import { defineTaskserv } from 'prov/sdk';
const none = async () => null;
export default defineTaskserv({
  uninstall: none, restart: none, upgrade: none, getCurrentVersion: none, getAvailableVersions: none, checkUpdates: none,
  async status(input: any, ctx: any) {
    const words = ['%s|', ...input.words];
    const remote = await ctx.servers.exec(ctx.target.name, ['/usr/bin/printf', ...words]);
    const local = await ctx.servers.exec('local', ['/usr/bin/printf', ...words]);
    const piped = await ctx.servers.exec(ctx.target.name, ['/usr/bin/cat'], { stdin: input.stdin });
    return { target: ctx.target, servers: (await ctx.servers.list()).map((s: any) => s.name), remote: remote.stdout, local: local.stdout, piped: piped.stdout, code: remote.code };
  },
  async configure(_input: any, ctx: any) {
    const s = ctx.target.name;
    const out: Record<string, unknown> = {};
    const attempt = async (label: string, run: () => Promise<unknown>) => {
      try { out[label] = await run(); } catch (error: any) { out[label] = error.code + (error.reason ? ' ' + error.reason : ''); }
    };
    await attempt('mkdir nested', () => ctx.servers.mkdir(s, '/srv/prov-test/a/b', { mode: 0o700 }));
    await attempt('mkdir again', () => ctx.servers.mkdir(s, '/srv/prov-test/a/b'));
    await attempt('mkdir outside', () => ctx.servers.mkdir(s, '/srv/elsewhere'));
    await attempt('rmdir full', () => ctx.servers.rmdir(s, '/srv/prov-test/a'));
    await attempt('rmdir empty', () => ctx.servers.rmdir(s, '/srv/prov-test/a/b'));
    await attempt('rmdir gone', () => ctx.servers.rmdir(s, '/srv/prov-test/a/b'));
    await attempt('rmdir file', () => ctx.servers.rmdir(s, '/srv/prov-test/page.txt'));
    return out;
  },
  async install(input: any, ctx: any) {
    const s = ctx.target.name;
    const unit = await ctx.servers.upload(s, '/etc/systemd/system/prov-test.service', input.unit);
    await ctx.servers.upload(s, '/srv/prov-test/page.txt', input.page, { mode: 0o640 });
    if (unit.planned || unit.changed) await ctx.systemctl('daemon-reload', null);
    await ctx.systemctl('enable', 'prov-test.service');
    const started = await ctx.systemctl('start', 'prov-test.service');
    return { active: started.active ?? null, enabled: started.enabled ?? null, page: ctx.check ? null : await ctx.servers.download(s, '/srv/prov-test/page.txt') };
  },
} as any);
`,
    });
    const add = await runProv(['server', 'add', 'box', '--host', '127.0.0.1', '--port', '2251', '--identity', target.identity, '--known-hosts', target.knownHosts, '--tag', 'test', '--json'], { env: env() });
    expect(add.code, add.stderr).toBe(0);
  });

  afterAll(async () => {
    await target?.down();
    await ext?.cleanup();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  it('keeps servers in the inventory with their pinned host key; first contact pins what the server offers', async () => {
    const list = await runProv(['server', 'list', '--json'], { env: env() });
    const box = list.json.result.find((entry: { name: string }) => entry.name === 'box');
    expect(box).toMatchObject({ host: '127.0.0.1', port: 2251, user: 'root', tags: ['test'], host_keys: [target.hostKey], source: 'manual' });
    expect(list.json.result[0]).toMatchObject({ name: 'local' });
    const scanned = await runProv(['server', 'add', 'scanned', '--host', '127.0.0.1', '--port', '2251', '--json'], { env: env() });
    expect(scanned.json.result.host_keys).toContain(target.hostKey);
    const again = await runProv(['server', 'add', 'scanned', '--host', '127.0.0.1', '--port', '2251'], { env: env() });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('A server named "scanned" is already in the inventory');
    expect((await runProv(['server', 'remove', 'scanned', '--json'], { env: env() })).json).toEqual({ ok: true, result: { removed: 'scanned' } });
    expect((await runProv(['server', 'remove', 'local'], { env: env() })).code).toBe(2);
  });

  it('runs exactly the argv given, over SSH and locally, and --server sets ctx.target', async () => {
    const words = [`it's`, '"q"', '$HOME', '`id`', '$(id)', '; touch /tmp/pwned', '| cat', '&& x', '*', '~', '#x', '\\\\', 'two\nlines', ' spaced ', '-n', '--help', ''];
    const run = await runProv(['run', ext.dir, 'status', '--server', 'box', '--json', '--input', JSON.stringify({ words, stdin: 'through stdin\n' }), ...grants], { env: env() });
    expect(run.code, run.stderr).toBe(0);
    const expected = words.map((word) => `${word}|`).join('');
    expect(run.json.result).toEqual({ target: { name: 'box' }, servers: ['local', 'box'], remote: expected, local: expected, piped: 'through stdin\n', code: 0 });
    expect((await target.ssh('test -e /tmp/pwned && echo yes || echo no')).stdout.trim()).toBe('no');
    const unknown = await runProv(['run', ext.dir, 'status', '--server', 'nope', '--json', ...grants], { env: env() });
    expect(unknown.code).toBe(2);
    expect(unknown.json.error.message).toBe('No server named "nope" in the inventory');
  });

  it('installs a unit for real: --check leaves nothing, the real run leaves it active, a re-run is no change', async () => {
    const input = JSON.stringify({ unit: '[Unit]\nDescription=prov test\n[Service]\nExecStart=/usr/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n', page: 'hello from prov\n' });
    const check = await runProv(['run', ext.dir, 'install', '--server', 'box', '--check', '--json', '--input', input, ...grants], { env: env() });
    expect(check.code, check.stderr).toBe(0);
    expect(check.json.plan.map((entry: { call: string; target: string; changes: boolean }) => [entry.call, entry.target, entry.changes])).toEqual([
      ['servers.upload', 'box:/etc/systemd/system/prov-test.service', true],
      ['servers.upload', 'box:/srv/prov-test/page.txt', true],
      ['systemctl daemon-reload', 'box: (daemon)', true],
      ['systemctl enable', 'box: prov-test.service', true],
      ['systemctl start', 'box: prov-test.service', true],
    ]);
    expect(check.json.plan[0].diff).toContain('+ExecStart=/usr/bin/sleep infinity');
    expect((await target.ssh('ls /etc/systemd/system/prov-test.service /srv/prov-test/page.txt 2>&1; systemctl is-active prov-test', { allowFailure: true })).stdout).toContain('No such file');

    const real = await runProv(['run', ext.dir, 'install', '--server', 'box', '--json', '--input', input, ...grants], { env: env() });
    expect(real.json).toMatchObject({ ok: true, changed: true, result: { active: 'active', enabled: 'enabled', page: 'hello from prov\n' } });
    expect((await target.ssh('systemctl is-active prov-test; systemctl is-enabled prov-test; stat -c %a /srv/prov-test/page.txt; cat /srv/prov-test/page.txt')).stdout).toBe('active\nenabled\n640\nhello from prov\n');

    const again = await runProv(['run', ext.dir, 'install', '--server', 'box', '--json', '--input', input, ...grants], { env: env() });
    expect(again.json).toMatchObject({ ok: true, changed: false });

    const audit = (await readFile(path.join(home, 'audit', 'audit.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    const starts = audit.filter((record) => record.call === 'systemctl' && record.target === 'box: systemctl start prov-test.service');
    expect(starts.map((record) => [record.decision, record.changed, record.server])).toEqual([
      ['planned', true, 'box'],
      ['allowed', true, 'box'],
      ['allowed', false, 'box'],
    ]);
  });

  it('makes and removes directories under a remote_write root only', async () => {
    const run = await runProv(['run', ext.dir, 'configure', '--server', 'box', '--json', ...grants], { env: env() });
    expect(run.json).toMatchObject({
      ok: true,
      result: {
        'mkdir nested': { planned: false },
        'mkdir again': { planned: false },
        'mkdir outside': 'PermissionDenied',
        'rmdir full': 'HostCallFailed ENOTEMPTY',
        'rmdir empty': { planned: false },
        'rmdir gone': { planned: false },
        'rmdir file': 'PermissionDenied',
      },
    });
    expect((await target.ssh('stat -c %a /srv/prov-test/a; test -e /srv/prov-test/a/b && echo b || echo no-b; test -e /srv/elsewhere && echo out || echo no-out')).stdout).toBe('755\nno-b\nno-out\n');
  });

  it('refuses a server whose host key is not the pinned one', async () => {
    const wrong = path.join(home, 'wrong_known_hosts');
    await writeFile(wrong, '[127.0.0.1]:2251 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n');
    await runProv(['server', 'add', 'impostor', '--host', '127.0.0.1', '--port', '2251', '--identity', target.identity, '--known-hosts', wrong, '--tag', 'test'], { env: env() });
    const run = await runProv(['run', ext.dir, 'status', '--server', 'impostor', '--json', '--input', '{"words":[],"stdin":""}', ...grants], { env: env() });
    expect(run.code).toBe(1);
    expect(run.json.error).toMatchObject({ code: 'HostCallFailed', message: expect.stringContaining('ssh to impostor (127.0.0.1:2251) failed') });
    expect(run.json.error.hint).toContain('host key is not the pinned one');
  });
});
