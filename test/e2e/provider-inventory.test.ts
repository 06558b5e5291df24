import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRegistrableExtension } from '../helpers/registrable-extension.js';
import { runProv } from '../helpers/run-cli.js';

const work = await mkdtemp(path.join(os.tmpdir(), 'prov-provider-inventory-'));
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A port on 127.0.0.1 that nothing listens on: taken, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * What a provider's createServer returns goes into the inventory; its
 * deleteServer takes it out again. The provider here answers from memory
 * (no cloud: what matters is what prov does with its answers).
 */
describe('servers a provider creates, in the inventory', { timeout: 60_000 }, () => {
  it('create-server records the server (SSH access from get-ssh-access), --check records nothing, delete-server forgets it', async () => {
    const env = { PROV_HOME: path.join(work, 'home') };
    const port = await closedPort();
    const dir = await writeRegistrableExtension(path.join(work, 'cloudy'), {
      name: 'cloudy', version: '1.0.0',
      members: {
        createServer: `async createServer(input: any) { return { id: 'srv-9', hostname: input.hostname, status: 'running', addresses: { public_ipv4: '127.0.0.1' }, tags: {} }; }`,
        getSshAccess: `async getSshAccess(input: any) { return { host: '127.0.0.1', port: ${port}, user: 'admin' }; }`,
        deleteServer: `async deleteServer(input: any) { return { deleted: input.id }; }`,
      },
    });
    const planned = await runProv(['provider', 'create-server', dir, '--check', '--input', '{"hostname":"web-9"}', '--json'], { env });
    expect(planned.json, planned.stderr).toMatchObject({ ok: true });
    expect((await runProv(['server', 'list', '--json'], { env })).json.result.map((server: { name: string }) => server.name)).toEqual(['local']);

    const fanned = await runProv(['provider', 'create-server', dir, '--server', 'tag:local', '--input', '{"hostname":"web-9"}', '--json'], { env });
    expect(fanned.json.error).toMatchObject({ code: 'Usage', message: '--server tag:local runs a task service\'s operation on each tagged server; a provider\'s operations act once' });
    const misplaced = await runProv(['provider', 'get-zones', dir, '--tag', 'web', '--json'], { env });
    expect(misplaced.json.error).toMatchObject({ code: 'Usage', message: '--identity and --tag describe the server a provider\'s create-server makes' });
    const created = await runProv(['provider', 'create-server', dir, '--input', '{"hostname":"web-9"}', '--identity', 'keys/web_key', '--tag', 'web', '--tag', 'edge', '--json'], { env, cwd: work });
    expect(created.json, created.stderr).toMatchObject({ ok: true, result: { id: 'srv-9' } });
    expect(created.stderr).toContain(`note: web-9 is in the inventory (admin@127.0.0.1:${port}, cloudy id srv-9); web-9 did not answer on 127.0.0.1:${port} yet: recorded without a pinned host key`);
    const listed = (await runProv(['server', 'list', '--json'], { env })).json.result.find((server: { name: string }) => server.name === 'web-9');
    expect(listed).toEqual({
      name: 'web-9', host: '127.0.0.1', port, user: 'admin', identity: path.join(work, 'keys', 'web_key'), tags: ['provider-cloudy', 'web', 'edge'], host_keys: [], source: 'provider:cloudy',
      provider: { name: 'cloudy', id: 'srv-9', status: 'running', addresses: { public_ipv4: '127.0.0.1' } },
    });

    // Unpinned, it is refused before any connection, and the error says how to pin it.
    const probe = await writeRegistrableExtension(path.join(work, 'probe'), {
      name: 'probe', version: '1.0.0', type: 'taskserv', permissions: 'servers = ["*"]\nexec = ["/usr/bin/true"]',
      source: `import { defineTaskserv } from 'prov/sdk';\nconst none = async () => null;\nexport default defineTaskserv({ async status(_input: any, ctx: any) { return ctx.servers.exec(ctx.target.name, ['/usr/bin/true']); }, install: none, uninstall: none, configure: none, restart: none, upgrade: none, getCurrentVersion: none, getAvailableVersions: none, checkUpdates: none } as any);\n`,
    });
    const refused = await runProv(['taskserv', 'status', probe, '--server', 'web-9', '--allow-server', 'web-9', '--allow-exec', '/usr/bin/true', '--json'], { env });
    expect(refused.json.error, refused.stderr).toMatchObject({ code: 'HostCallFailed' });
    expect(refused.json.error.message).toContain('web-9 has no pinned SSH host key: prov does not connect to it');
    expect(refused.json.error.hint).toBe(`Pin one: prov server remove web-9, then prov server add web-9 --host 127.0.0.1 --port ${port} --user admin (first contact, or --known-hosts FILE).`);

    const deleted = await runProv(['provider', 'delete-server', dir, '--input', '{"id":"srv-9"}', '--json'], { env });
    expect(deleted.stderr).toContain('note: web-9 removed from the inventory');
    expect((await runProv(['server', 'list', '--json'], { env })).json.result.map((server: { name: string }) => server.name)).toEqual(['local']);
  });

  it('a name taken by a server added by hand is not overwritten', async () => {
    const env = { PROV_HOME: path.join(work, 'home-2') };
    const port = await closedPort();
    const dir = await writeRegistrableExtension(path.join(work, 'cloudy-2'), {
      name: 'cloudy', version: '1.0.0',
      members: { createServer: `async createServer(input: any) { return { id: 'srv-1', hostname: 'web-1', status: 'running', addresses: {}, ssh: { host: '127.0.0.1', port: ${port}, user: 'root' } }; }` },
    });
    const known = path.join(work, 'known_hosts');
    await (await import('node:fs/promises')).writeFile(known, `[127.0.0.1]:${port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHj2bSIh1dGfTNGL0mYlRIkqgX8AWbE6I9B6cLFT7Z1n\n`);
    expect((await runProv(['server', 'add', 'web-1', '--host', '127.0.0.1', '--port', String(port), '--known-hosts', known], { env })).code).toBe(0);
    const created = await runProv(['provider', 'create-server', dir, '--json'], { env });
    expect(created.json.ok).toBe(true);
    expect(created.stderr).toContain('note: an inventory server is already named web-1 (manual): the new server was not recorded');
    expect((await runProv(['server', 'list', '--json'], { env })).json.result.find((server: { name: string }) => server.name === 'web-1').source).toBe('manual');
  });

  it('--wait polls get-server-info until the server is running (or gone), with a line per status, bounded by --timeout', async () => {
    const env = { PROV_HOME: path.join(work, 'home-3') };
    const port = await closedPort();
    // Module state lives as long as the command's sandbox: the server comes up on the third poll.
    const prologue = `let polls = 0; let deleted = false;`;
    const dir = await writeRegistrableExtension(path.join(work, 'cloudy-3'), {
      name: 'cloudy', version: '1.0.0',
      members: {
        createServer: `async createServer() { return { id: 'srv-w', hostname: 'web-w', status: 'creating', addresses: {}, ssh: { host: '127.0.0.1', port: ${port}, user: 'root' } }; }`,
        getServerInfo: `async getServerInfo(input: any) { if (deleted) throw new Error('no server ' + input.id); polls++; return { id: input.id, hostname: 'web-w', status: polls >= 3 ? 'running' : 'creating', addresses: polls >= 3 ? { public_ipv4: '127.0.0.1' } : {}, polls }; }`,
        deleteServer: `async deleteServer(input: any) { deleted = true; return { deleted: input.id }; }`,
        stopServer: `async stopServer(input: any) { return { stopping: input.id }; }`,
      },
    });
    const source = path.join(dir, 'src', 'index.ts');
    const { readFile, writeFile } = await import('node:fs/promises');
    await writeFile(source, (await readFile(source, 'utf8')).replace("import * as z from 'prov/sdk/zod';", `import * as z from 'prov/sdk/zod';\n${prologue}`));

    // A server that does not come up in time was still created: it is in the inventory all the same.
    const late = await runProv(['provider', 'create-server', dir, '--wait', '--poll', '0.05', '--timeout', '0.05', '--json'], { env });
    expect(late.json.error.code, late.stderr).toBe('WaitTimedOut');
    expect(late.stderr).toContain('note: web-w is in the inventory');
    expect((await runProv(['server', 'list', '--json'], { env })).json.result.find((server: { name: string }) => server.name === 'web-w').provider).toMatchObject({ id: 'srv-w', status: 'creating' });

    const created = await runProv(['provider', 'create-server', dir, '--wait', '--poll', '0.05', '--json'], { env });
    expect(created.json, created.stderr).toMatchObject({ ok: true, result: { id: 'srv-w', status: 'running', addresses: { public_ipv4: '127.0.0.1' }, polls: 3 } });
    expect(created.stderr).toMatch(/waiting for srv-w to be running: creating \(\d+ s\)\nwaiting for srv-w to be running: running \(\d+ s\)\n/);
    expect((await runProv(['server', 'list', '--json'], { env })).json.result.find((server: { name: string }) => server.name === 'web-w').provider).toMatchObject({ id: 'srv-w', status: 'running' });

    const timedOut = await runProv(['provider', 'stop-server', dir, '--input', '{"id":"srv-w"}', '--wait', '--poll', '0.05', '--timeout', '0.3', '--json'], { env });
    expect(timedOut.code).toBe(1);
    expect(timedOut.json.error.code).toBe('WaitTimedOut');
    expect(timedOut.json.error.message).toMatch(/^Server srv-w is "running" after \d+\.\d s, not "stopped": gave up waiting \(--timeout 0\.3\)$/);

    const deleted = await runProv(['provider', 'delete-server', dir, '--input', '{"id":"srv-w"}', '--wait', '--poll', '0.05', '--json'], { env });
    expect(deleted.json, deleted.stderr).toMatchObject({ ok: true, result: { deleted: 'srv-w' } });
    expect(deleted.stderr).toContain('waiting for srv-w to be gone: gone');
    expect(deleted.stderr).toContain('note: web-w removed from the inventory');

    const wrong = await runProv(['provider', 'get-zones', dir, '--wait', '--json'], { env });
    expect(wrong.code).toBe(2);
    expect(wrong.json.error.message).toBe('--wait applies to a provider\'s create-server, start-server, reboot-server, stop-server, delete-server');
  });
});
