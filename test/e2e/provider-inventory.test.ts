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

    const created = await runProv(['provider', 'create-server', dir, '--input', '{"hostname":"web-9"}', '--json'], { env });
    expect(created.json, created.stderr).toMatchObject({ ok: true, result: { id: 'srv-9' } });
    expect(created.stderr).toContain(`note: web-9 is in the inventory (admin@127.0.0.1:${port}, cloudy id srv-9); web-9 did not answer on 127.0.0.1:${port} yet: recorded without a pinned host key`);
    const listed = (await runProv(['server', 'list', '--json'], { env })).json.result.find((server: { name: string }) => server.name === 'web-9');
    expect(listed).toEqual({
      name: 'web-9', host: '127.0.0.1', port, user: 'admin', identity: null, tags: ['provider-cloudy'], host_keys: [], source: 'provider:cloudy',
      provider: { name: 'cloudy', id: 'srv-9', status: 'running', addresses: { public_ipv4: '127.0.0.1' } },
    });

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
});
