import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HetznerCloudEmulator } from '../emulators/hetzner-cloud/index.js';
import { hetznerWorkspace, type HetznerWorkspace } from '../helpers/hetzner-workspace.js';
import { runProv, type CliResult } from '../helpers/run-cli.js';

const TOKEN = 'tok-emulator-7f3a9c2e41d8';
const WRONG_TOKEN = 'tok-wrong-0b6e5d1c93aa';

/**
 * The Hetzner Cloud API emulator (test/emulators/hetzner-cloud), without
 * machines behind its servers. Unlike the real API, its 401 message here
 * echoes the token it was given, so the test can see prov mask a secret
 * that comes back from a granted host.
 */
function startEmulator(): Promise<HetznerCloudEmulator> {
  return HetznerCloudEmulator.start({ token: TOKEN, unauthorizedMessage: (token) => `unable to authenticate with ${token ?? 'no token'}` });
}

describe('the hetzner extension against an emulator of the Hetzner Cloud API', () => {
  let emulator: HetznerCloudEmulator;
  let workspace: HetznerWorkspace;
  let grant: string[];

  /** `prov run <copy> <op> --json` with the grant the README documents, pointed at the emulator. */
  function run(op: string, args: string[] = [], options: { token?: string; grant?: string[] } = {}): Promise<CliResult> {
    return runProv(['run', workspace.ext, op, '--json', ...args, ...(options.grant ?? grant)], {
      env: { ...workspace.env, PROV_SECRET_HETZNER_TOKEN: options.token ?? TOKEN },
    });
  }

  function expectNoToken(result: CliResult, token = TOKEN) {
    expect(result.stdout).not.toContain(token);
    expect(result.stderr).not.toContain(token);
  }

  beforeAll(async () => {
    emulator = await startEmulator();
    workspace = await hetznerWorkspace(emulator, { defaults: { zone: 'fsn1' } });
    grant = workspace.grant;
  });

  afterAll(async () => {
    await emulator?.stop();
    await workspace?.cleanup();
  });

  it('creates a server that list-servers and get-server-info then see, the token filled in by the host', async () => {
    const create = await run('create-server', ['--input', JSON.stringify({ hostname: 'web-1', plan: 'cx22', tags: { role: 'web' } })]);
    expect(create.code).toBe(0);
    expect(create.json.result).toEqual({
      id: '1',
      hostname: 'web-1',
      status: 'creating',
      addresses: { public_ipv4: '203.0.113.1', public_ipv6: '2001:db8:0:1::1' },
      plan: 'cx22',
      zone: 'fsn1', // from settings.json's defaults
      tags: { role: 'web', 'prov/user': 'prov' },
      ssh: { host: '203.0.113.1', port: 22, user: 'prov' },
    });
    expect(create.json.changed).toBe(true);
    // The root password the API returned is neither printed nor kept in the result.
    expect(emulator.rootPassword(1)).toEqual(expect.any(String));
    expect(create.stdout).not.toContain(emulator.rootPassword(1));
    expect(emulator.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/v1/servers',
      authorization: `Bearer ${TOKEN}`,
      body: { name: 'web-1', server_type: 'cx22', location: 'fsn1', image: 'debian-12', labels: { role: 'web' } },
    });
    expectNoToken(create);

    const list = await run('list-servers');
    expect(list.code).toBe(0);
    expect(list.json.result).toEqual([expect.objectContaining({ id: '1', hostname: 'web-1', status: 'running', plan: 'cx22', zone: 'fsn1' })]);
    expectNoToken(list);

    const info = await run('get-server-info', ['--input', '{"id":"1"}']);
    expect(info.code).toBe(0);
    expect(info.json.result).toMatchObject({ id: '1', hostname: 'web-1', status: 'running', addresses: { public_ipv4: '203.0.113.1' } });
    expect(info.json.changed).toBe(false);
    expectNoToken(info);
    expect(emulator.requests.every((seen) => seen.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('under --check sends no POST: the request is in the plan and the result says planned', async () => {
    const posts = emulator.count('POST', '/v1/servers');
    const check = await run('create-server', ['--check', '--input', JSON.stringify({ hostname: 'web-2', plan: 'cx22' })]);
    expect(check.code).toBe(0);
    expect(emulator.count('POST', '/v1/servers')).toBe(posts);
    expect(emulator.servers()).toHaveLength(1);
    expect(check.json.result).toMatchObject({ id: 'planned', hostname: 'web-2', status: 'planned', planned: true });
    expect(check.json.plan).toEqual([
      expect.objectContaining({ capability: 'http', call: 'http.fetch', target: `POST ${emulator.origin}/v1/servers` }),
    ]);
    expectNoToken(check);
  });

  it('deletes the server; asking for it afterwards is a clean not_found error', async () => {
    const remove = await run('delete-server', ['--input', '{"id":"1"}']);
    expect(remove.code).toBe(0);
    const answered = emulator.requests.at(-1)!;
    expect(answered).toMatchObject({ method: 'DELETE', path: '/v1/servers/1', status: 200 });
    expect(remove.json.result).toEqual({ id: '1', status: 'deleting', action_id: String((answered.response as { action: { id: number } }).action.id) });
    expect(emulator.servers()).toHaveLength(0);

    const gone = await run('get-server-info', ['--input', '{"id":"1"}']);
    expect(gone.code).toBe(1);
    expect(gone.json.error.code).toBe('OperationFailed');
    expect(gone.json.error.message).toContain(`HetznerApiError: Hetzner API GET ${emulator.origin}/v1/servers/1 failed with 404 not_found: server with ID 1 not found`);
  });

  it('reports a wrong token as Hetzner\'s unauthorized error, exit 1, the echoed token masked', async () => {
    const denied = await run('list-servers', [], { token: WRONG_TOKEN });
    expect(denied.code).toBe(1);
    expect(denied.json.ok).toBe(false);
    expect(denied.json.error.code).toBe('OperationFailed');
    expect(denied.json.error.message).toContain('failed with 401 unauthorized: unable to authenticate with ***');
    expect(denied.json.error.message).toContain('PROV_SECRET_HETZNER_TOKEN');
    expect(emulator.requests.at(-1)!.authorization).toBe(`Bearer ${WRONG_TOKEN}`);
    expectNoToken(denied, WRONG_TOKEN);
  });

  it('without --allow-secret is PermissionDenied, exit 4, with the flag that grants it', async () => {
    const seen = emulator.requests.length;
    const denied = await run('list-servers', [], { grant: grant.filter((arg, index) => arg !== '--allow-secret' && grant[index - 1] !== '--allow-secret') });
    expect(denied.code).toBe(4);
    expect(denied.json.error.code).toBe('PermissionDenied');
    expect(denied.json.error.message).toBe('Requires the secret "hetzner.token", which metadata.toml asks for but the operator has not granted');
    expect(denied.json.error.hint).toContain('--allow-secret hetzner.token');
    expect(emulator.requests.length).toBe(seen);
  });
});
