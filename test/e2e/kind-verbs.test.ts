import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRegistrableExtension } from '../helpers/registrable-extension.js';
import { REPO_ROOT, runProv } from '../helpers/run-cli.js';

const work = await mkdtemp(path.join(os.tmpdir(), 'prov-verbs-'));
const env = { PROV_HOME: path.join(work, 'home') };
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** `prov provider <op> <name>` and `prov taskserv <op> <name>`: prov run with the seed's verbs. */
describe('the kind verbs', { timeout: 60_000 }, () => {
  it('run an operation of their kind on a registered extension or a directory, in either spelling', async () => {
    const dir = await writeRegistrableExtension(path.join(work, 'acme'), { name: 'acme', version: '1.0.0', members: { getZones: 'async getZones() { return ["z1"]; }' } });
    expect((await runProv(['register', dir], { env })).code).toBe(0);
    expect((await runProv(['provider', 'get-zones', 'acme', '--json'], { env, cwd: os.tmpdir() })).json).toEqual({ ok: true, result: ['z1'], changed: false });
    expect((await runProv(['provider', 'getZones', dir, '--json'], { env })).json.result).toEqual(['z1']);
    const webdemo = await runProv(['taskserv', 'get-available-versions', path.join(REPO_ROOT, 'extensions', 'webdemo'), '--json'], { env });
    expect(webdemo.json, webdemo.stderr).toMatchObject({ ok: true });
  });

  it('refuse another kind\'s operation, and an extension of another kind', async () => {
    const dir = path.join(work, 'acme');
    const wrongOperation = await runProv(['provider', 'install', dir, '--json'], { env });
    expect(wrongOperation.code).toBe(2);
    expect(wrongOperation.json.error).toEqual({
      code: 'Usage',
      message: '"install" is not a provider operation',
      hint: 'A provider has: info, create-server, delete-server, list-servers, get-server-info, start-server, stop-server, reboot-server, get-pricing, get-plans, get-zones, get-ssh-access, configure-firewall, validate-config, test-connection. Other exported operations run with prov run <name> <operation>.',
    });
    const wrongKind = await runProv(['taskserv', 'status', dir, '--json'], { env });
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.json.error).toEqual({ code: 'Usage', message: 'acme is a provider, not a taskserv', hint: `Use prov provider <operation> ${dir}, or prov run ${dir} <operation>.` });
    const notRegistered = await runProv(['taskserv', 'status', 'acme', '--json'], { env, cwd: os.tmpdir() });
    expect(notRegistered.json.error.code).toBe('NotRegistered');
    expect(notRegistered.json.error.message).toBe('No taskserv named "acme" is registered');
  });

  it('--server tag:T runs the operation on each tagged server in name order, and stops at the first that fails', async () => {
    const knownHosts = path.join(work, 'fleet_known_hosts');
    // Nothing listens on these ports: any SSH to them fails.
    await writeFile(knownHosts, ['2291', '2292'].map((port) => `[127.0.0.1]:${port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHUnDl3iuoWfGMU0pkLBN0h9ltSq1GAmSk0A2ik7wLeJ\n`).join(''));
    for (const [name, port] of [['fleet-b', '2292'], ['fleet-a', '2291']]) {
      expect((await runProv(['server', 'add', name!, '--host', '127.0.0.1', '--port', port!, '--tag', 'fleet', '--known-hosts', knownHosts], { env })).code).toBe(0);
    }
    const dir = await writeRegistrableExtension(path.join(work, 'fleet-svc'), {
      name: 'fleet-svc', version: '1.0.0', type: 'taskserv',
      source: `import { defineTaskserv } from 'prov/sdk';
const none = async () => null;
export default defineTaskserv({
  async status(_input: any, ctx: any) { return { on: ctx.target.name }; },
  async install(_input: any, ctx: any) { const done = await ctx.servers.exec(ctx.target.name, ['/usr/bin/true']); return { code: done.code }; },
  uninstall: none, configure: none, restart: none, upgrade: none, getCurrentVersion: none, getAvailableVersions: none, checkUpdates: none,
} as any);
`,
      permissions: 'servers = ["tag:fleet"]\nexec = ["/usr/bin/true"]',
    });
    expect((await runProv(['grant', dir, '--yes'], { env })).code).toBe(0);
    const each = await runProv(['taskserv', 'status', dir, '--server', 'tag:fleet', '--json'], { env });
    expect(each.json, each.stderr).toEqual({ ok: true, changed: false, result: [{ server: 'fleet-a', result: { on: 'fleet-a' }, changed: false }, { server: 'fleet-b', result: { on: 'fleet-b' }, changed: false }] });

    const failed = await runProv(['taskserv', 'install', dir, '--server', 'tag:fleet', '--json'], { env });
    expect(failed.code).not.toBe(0);
    expect(failed.json.error.message).toMatch(/^install failed on fleet-a: /);
    expect(failed.json.error.hint).toMatch(/^No server was done; not tried: fleet-b\./);
    expect(failed.json.error.details).toMatchObject({ server: 'fleet-a', done: [], not_tried: ['fleet-b'] });

    const none = await runProv(['taskserv', 'status', dir, '--server', 'tag:nothing', '--json'], { env });
    expect(none.json.error).toMatchObject({ code: 'Usage', message: 'No server in the inventory has the tag "nothing"', hint: 'Tags in the inventory: fleet, local.' });
  });
});
