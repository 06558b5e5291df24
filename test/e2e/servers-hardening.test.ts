import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProv } from '../helpers/run-cli.js';
import { createTempExtension } from '../helpers/temp-extension.js';
import { targetSupport } from '../targets/require-target.js';
import { upTarget, type Target } from '../targets/systemd-target.js';

const support = await targetSupport();

const taskserv = (members: string) => `import { defineTaskserv } from 'prov/sdk';
const none = async () => null;
export default defineTaskserv({
  install: none, uninstall: none, configure: none, restart: none, upgrade: none, getCurrentVersion: none, getAvailableVersions: none, checkUpdates: none,
  ${members}
} as any);
`;

/**
 * Holes a security review of the servers capability found, kept closed:
 * the local target reaching prov's own state, a manifest root that is a
 * link out of the operator's root, a timeout that did not reach the far
 * side, setuid bits carried to new content, a pattern that crashed prov.
 */
describe('servers hardening (the local target: no target needed)', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'prov-servers-hardening-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('keeps prov\'s own state out of reach of the local target, and a manifest root that is a link inside the operator\'s', async () => {
    const home = path.join(work, 'home');
    const op = path.join(work, 'op');
    const outside = path.join(work, 'outside');
    await mkdir(home, { recursive: true });
    await mkdir(op, { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(home, 'secrets.toml'), '"x" = "never"\n', { mode: 0o600 });
    await symlink(outside, path.join(op, 'link'));
    const ext = await createTempExtension({
      type: 'taskserv',
      manifestExtra: `[permissions]\nservers = ["local"]\nremote_read = ["${work}"]\nremote_write = ["${work}", "${op}/link"]\n`,
      source: taskserv(`async status(_input: unknown, ctx: any) {
    const out: Record<string, unknown> = {};
    const attempt = async (label: string, run: () => Promise<unknown>) => { try { out[label] = await run(); } catch (error: any) { out[label] = error.code; } };
    await attempt('read secrets', () => ctx.servers.download('local', '${home}/secrets.toml'));
    await attempt('write into home', () => ctx.servers.upload('local', '${home}/pwned.txt', 'x'));
    await attempt('remove home', () => ctx.servers.rmdir('local', '${home}'));
    await attempt('escape by root link', () => ctx.servers.upload('local', '${op}/link/escaped.txt', 'x'));
    await attempt('proc', () => ctx.servers.download('local', '/proc/self/environ'));
    return out;
  },`),
    });
    try {
      const run = await runProv(['run', ext.dir, 'status', '--json', '--allow-server', 'local', '--allow-remote-read', '/', '--allow-remote-write', op, '--allow-remote-write', home], { env: { PROV_HOME: home } });
      expect(run.json).toMatchObject({ ok: true, result: { 'read secrets': 'PermissionDenied', 'write into home': 'PermissionDenied', 'remove home': 'PermissionDenied', 'escape by root link': 'PermissionDenied', proc: 'PermissionDenied' } });
      await expect(stat(path.join(outside, 'escaped.txt'))).rejects.toThrow();
      await expect(stat(path.join(home, 'pwned.txt'))).rejects.toThrow();
      expect(run.stdout).not.toContain('never');
    } finally {
      await ext.cleanup();
    }
  });

  it('refuses a systemctl pattern that is not a valid glob as an invalid manifest, not an internal error', async () => {
    const ext = await createTempExtension({ type: 'taskserv', manifestExtra: '[permissions]\nsystemctl = ["[z-a]*.service"]\n', source: taskserv('status: none,') });
    try {
      const run = await runProv(['run', ext.dir, 'status', '--json']);
      expect(run.code).toBe(3);
      expect(run.json.error).toMatchObject({ code: 'ManifestInvalid', message: expect.stringContaining('a character class is out of order') });
    } finally {
      await ext.cleanup();
    }
  });
});

describe.skipIf(!support.available)('servers hardening on a real target', () => {
  let target: Target;
  let home: string;
  beforeAll(async () => {
    target = await upTarget('hardening', 2281);
    home = await mkdtemp(path.join(os.tmpdir(), 'prov-hardening-home-'));
    const add = await runProv(['server', 'add', 'h', '--host', '127.0.0.1', '--port', '2281', '--identity', target.identity, '--known-hosts', target.knownHosts], { env: { PROV_HOME: home } });
    expect(add.code, add.stderr).toBe(0);
    await target.ssh('mkdir -p /srv/h && printf old > /srv/h/tool && chmod 4755 /srv/h/tool && chown nobody:nogroup /srv/h/tool && mkdir -m 700 /srv/h/dir');
    // An account whose login shell does not run POSIX command lines (here: none at all).
    await target.ssh('useradd -m -s /bin/false nosh && mkdir -m 700 /home/nosh/.ssh && cp /root/.ssh/authorized_keys /home/nosh/.ssh/ && chown -R nosh /home/nosh/.ssh');
    const nosh = await runProv(['server', 'add', 'nosh', '--host', '127.0.0.1', '--port', '2281', '--user', 'nosh', '--identity', target.identity, '--known-hosts', target.knownHosts], { env: { PROV_HOME: home } });
    expect(nosh.code, nosh.stderr).toBe(0);
  });

  it('refuses to send commands to an account whose login shell fails the quoting probe', async () => {
    const ext = await createTempExtension({
      type: 'taskserv',
      manifestExtra: '[permissions]\nservers = ["nosh"]\nexec = ["/usr/bin/true"]\n',
      source: taskserv(`async status(_input: unknown, ctx: any) {
    try { return await ctx.servers.exec('nosh', ['/usr/bin/true']); } catch (error: any) { return { code: error.code, reason: error.reason, message: error.message }; }
  },`),
    });
    try {
      const run = await runProv(['run', ext.dir, 'status', '--json', '--allow-server', 'nosh', '--allow-exec', '/usr/bin/true'], { env: { PROV_HOME: home } });
      expect(run.json.result).toMatchObject({ code: 'HostCallFailed', reason: 'ESHELL', message: 'The login shell of nosh on nosh does not read POSIX quoting; prov sends it no commands' });
    } finally {
      await ext.cleanup();
    }
  });
  afterAll(async () => {
    await target?.down();
    if (home !== undefined) await rm(home, { recursive: true, force: true });
  });

  it('ends a remote program at its timeout on the far side; new content keeps the owner and loses setuid; a mode asked of a directory is applied', async () => {
    const ext = await createTempExtension({
      type: 'taskserv',
      manifestExtra: '[permissions]\nservers = ["h"]\nexec = ["/usr/bin/sleep"]\nremote_write = ["/srv/h"]\n',
      source: taskserv(`async status(_input: unknown, ctx: any) {
    const started = Date.now();
    let slept: unknown;
    try { slept = await ctx.servers.exec('h', ['/usr/bin/sleep', '30'], { timeout: 1000 }); } catch (error: any) { slept = error.code + ' ' + error.reason; }
    const uploaded = await ctx.servers.upload('h', '/srv/h/tool', 'new content');
    const dir = await ctx.servers.mkdir('h', '/srv/h/dir', { mode: 0o755 });
    return { slept, tookMs: Date.now() - started, uploaded, dir };
  },`),
    });
    try {
      const run = await runProv(['run', ext.dir, 'status', '--server', 'h', '--json', '--allow-server', 'h', '--allow-exec', '/usr/bin/sleep', '--allow-remote-write', '/srv/h'], { env: { PROV_HOME: home } });
      expect(run.json).toMatchObject({ ok: true, changed: true, result: { slept: 'HostCallFailed ETIMEDOUT', uploaded: { planned: false, changed: true }, dir: { planned: false } } });
      expect(run.json.result.tookMs).toBeLessThan(10_000);
      // `timeout` on the far side ended it: no sleep 30 left running.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await target.ssh('pgrep -x sleep || echo none')).stdout.trim()).toBe('none');
      expect((await target.ssh('stat -c "%a %U" /srv/h/tool /srv/h/dir; cat /srv/h/tool')).stdout).toBe('755 nobody\n755 root\nnew content');
    } finally {
      await ext.cleanup();
    }
  });
});
