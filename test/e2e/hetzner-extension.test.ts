import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runProv, type CliResult } from '../helpers/run-cli.js';

const TOKEN = 'tok-emulator-7f3a9c2e41d8';
const WRONG_TOKEN = 'tok-wrong-0b6e5d1c93aa';

interface SeenRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

/**
 * An emulator of the Hetzner Cloud API (docs.hetzner.cloud), not the API:
 * the endpoints the extension calls, the real API's JSON shapes and error
 * shapes, servers kept in a Map. Unlike the real API, its 401 message echoes
 * the token it was given, so the test can see prov mask a secret that comes
 * back from a granted host.
 */
class HetznerEmulator {
  readonly servers = new Map<number, Record<string, unknown>>();
  readonly seen: SeenRequest[] = [];
  #nextId = 1;
  #server = http.createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    request.on('end', () => {
      const body = raw === '' ? undefined : JSON.parse(raw);
      this.seen.push({ method: request.method!, path: request.url!, authorization: request.headers.authorization, body });
      const [status, answer] = this.#answer(request.method!, new URL(request.url!, 'http://emulator'), request.headers.authorization, body);
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer));
    });
  });

  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  start(): Promise<void> {
    return new Promise((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  count(method: string, pathname: string): number {
    return this.seen.filter((seen) => seen.method === method && seen.path.split('?')[0] === pathname).length;
  }

  #answer(method: string, url: URL, authorization: string | undefined, body: any): [number, unknown] {
    if (authorization !== `Bearer ${TOKEN}`) {
      return [401, error('unauthorized', `unable to authenticate with ${authorization?.replace(/^Bearer /, '') ?? 'no token'}`)];
    }
    const route = `${method} ${url.pathname.replace(/\/\d+(?=\/|$)/, '/{id}')}`;
    const id = Number(/^\/v1\/servers\/(\d+)/.exec(url.pathname)?.[1]);
    const server = this.servers.get(id);
    switch (route) {
      case 'GET /v1/locations':
        return [200, { locations: [{ id: 1, name: 'fsn1', city: 'Falkenstein', country: 'DE', network_zone: 'eu-central' }] }];
      case 'GET /v1/servers':
        return [200, { servers: [...this.servers.values()], meta: { pagination: { page: 1, per_page: 50, previous_page: null, next_page: null, last_page: 1, total_entries: this.servers.size } } }];
      case 'POST /v1/servers': {
        if (typeof body?.name !== 'string' || typeof body.server_type !== 'string' || typeof body.image !== 'string') {
          return [422, error('invalid_input', 'invalid input in fields name, server_type, image')];
        }
        if ([...this.servers.values()].some((existing) => existing.name === body.name)) return [409, error('uniqueness_error', 'server name is already used')];
        const created = hetznerServer(this.#nextId++, body);
        this.servers.set(created.id, { ...created, status: 'running' });
        const rootPassword = body.ssh_keys?.length ? null : 'emulator-root-password';
        return [201, { server: created, action: action(created.id, 'create_server'), next_actions: [action(created.id, 'start_server')], root_password: rootPassword }];
      }
      case 'GET /v1/servers/{id}':
        return server === undefined ? [404, error('not_found', `server with ID ${id} not found`)] : [200, { server }];
      case 'DELETE /v1/servers/{id}':
        if (server === undefined) return [404, error('not_found', `server with ID ${id} not found`)];
        this.servers.delete(id);
        return [200, { action: action(id, 'delete_server') }];
      default:
        return [404, error('not_found', `${method} ${url.pathname} not found`)];
    }
  }
}

function error(code: string, message: string) {
  return { error: { code, message, details: {} } };
}

function action(id: number, command: string) {
  return { id: 1000 + id, command, status: 'running', progress: 0, started: '2026-10-01T10:00:00+00:00', finished: null, resources: [{ id, type: 'server' }], error: null };
}

/** A server in the shape of the API's `server` object (the fields a client reads, and a few it does not). */
function hetznerServer(id: number, body: any) {
  return {
    id,
    name: body.name,
    status: 'initializing',
    created: '2026-10-01T10:00:00+00:00',
    public_net: {
      ipv4: { id: 500 + id, ip: `203.0.113.${id}`, blocked: false, dns_ptr: `static.${id}.113.0.203.clients.your-server.de` },
      ipv6: { id: 600 + id, ip: `2001:db8:0:${id}::/64`, blocked: false, dns_ptr: [] },
      floating_ips: [],
      firewalls: [],
    },
    private_net: [],
    server_type: { id: 22, name: body.server_type, cores: 2, memory: 4, disk: 40, cpu_type: 'shared', architecture: 'x86' },
    datacenter: { id: 4, name: `${body.location}-dc14`, location: { id: 1, name: body.location, city: 'Falkenstein', country: 'DE' } },
    image: { id: 114690387, name: body.image, type: 'system' },
    labels: body.labels ?? {},
    protection: { delete: false, rebuild: false },
  };
}

describe('the hetzner extension against an emulator of the Hetzner Cloud API', () => {
  const emulator = new HetznerEmulator();
  let root: string;
  let ext: string;
  let home: string;
  let grant: string[];

  /** `prov run <copy> <op> --json` with the grant the README documents, pointed at the emulator. */
  function run(op: string, args: string[] = [], options: { token?: string; grant?: string[] } = {}): Promise<CliResult> {
    return runProv(['run', ext, op, '--json', ...args, ...(options.grant ?? grant)], {
      env: { HOME: home, PROV_SECRET_HETZNER_TOKEN: options.token ?? TOKEN },
    });
  }

  function expectNoToken(result: CliResult, token = TOKEN) {
    expect(result.stdout).not.toContain(token);
    expect(result.stderr).not.toContain(token);
  }

  beforeAll(async () => {
    await emulator.start();
    root = await mkdtemp(path.join(os.tmpdir(), 'prov-hetzner-'));
    ext = path.join(root, 'hetzner');
    await cp(path.join(REPO_ROOT, 'extensions', 'hetzner'), ext, {
      recursive: true,
      filter: (source) => !['dist', 'node_modules'].includes(path.basename(source)),
    });
    // As in a workspace install: the extension's npm dependency (mustache) in a node_modules above it.
    await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
    const manifestFile = path.join(ext, 'metadata.toml');
    const manifest = await readFile(manifestFile, 'utf8');
    const withEmulator = manifest.replace(/^http = \[(.*?)\]/m, (_line, hosts: string) => `http = [${hosts}, "${emulator.origin}"]`);
    expect(withEmulator).not.toBe(manifest);
    await writeFile(manifestFile, withEmulator);

    home = path.join(root, 'home');
    await mkdir(path.join(home, '.config', 'hetzner'), { recursive: true });
    await writeFile(
      path.join(home, '.config', 'hetzner', 'settings.json'),
      JSON.stringify({ api_url: `${emulator.origin}/v1`, defaults: { zone: 'fsn1' } }),
    );
    grant = ['--allow-http', emulator.origin, '--allow-secret', 'hetzner.token', '--allow-read', path.join(home, '.config', 'hetzner')];
  });

  afterAll(async () => {
    await emulator.stop();
    await rm(root, { recursive: true, force: true });
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
    expect(create.stdout).not.toContain('emulator-root-password');
    expect(emulator.seen.at(-1)).toMatchObject({
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
    expect(emulator.seen.every((seen) => seen.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('under --check sends no POST: the request is in the plan and the result says planned', async () => {
    const posts = emulator.count('POST', '/v1/servers');
    const check = await run('create-server', ['--check', '--input', JSON.stringify({ hostname: 'web-2', plan: 'cx22' })]);
    expect(check.code).toBe(0);
    expect(emulator.count('POST', '/v1/servers')).toBe(posts);
    expect(emulator.servers.size).toBe(1);
    expect(check.json.result).toMatchObject({ id: 'planned', hostname: 'web-2', status: 'planned', planned: true });
    expect(check.json.plan).toEqual([
      expect.objectContaining({ capability: 'http', call: 'http.fetch', target: `POST ${emulator.origin}/v1/servers` }),
    ]);
    expectNoToken(check);
  });

  it('deletes the server; asking for it afterwards is a clean not_found error', async () => {
    const remove = await run('delete-server', ['--input', '{"id":"1"}']);
    expect(remove.code).toBe(0);
    expect(remove.json.result).toEqual({ id: '1', status: 'deleting', action_id: '1001' });
    expect(emulator.servers.size).toBe(0);

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
    expect(emulator.seen.at(-1)!.authorization).toBe(`Bearer ${WRONG_TOKEN}`);
    expectNoToken(denied, WRONG_TOKEN);
  });

  it('without --allow-secret is PermissionDenied, exit 4, with the flag that grants it', async () => {
    const seen = emulator.seen.length;
    const denied = await run('list-servers', [], { grant: grant.filter((arg, index) => arg !== '--allow-secret' && grant[index - 1] !== '--allow-secret') });
    expect(denied.code).toBe(4);
    expect(denied.json.error.code).toBe('PermissionDenied');
    expect(denied.json.error.message).toBe('Requires the secret "hetzner.token", which metadata.toml asks for but the operator has not granted');
    expect(denied.json.error.hint).toContain('--allow-secret hetzner.token');
    expect(emulator.seen.length).toBe(seen);
  });
});
