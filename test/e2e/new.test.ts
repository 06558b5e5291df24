import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runProv, type CliResult } from '../helpers/run-cli.js';

const REQUIRED = {
  provider: [
    'createServer', 'deleteServer', 'listServers', 'getServerInfo', 'startServer', 'stopServer', 'rebootServer',
    'getPricing', 'getPlans', 'getZones', 'getSshAccess', 'configureFirewall',
  ],
  taskserv: ['install', 'uninstall', 'configure', 'status', 'restart', 'upgrade', 'getCurrentVersion', 'getAvailableVersions', 'checkUpdates'],
  cluster: [],
} as const;

/** What each kind defines besides its required operations. */
const ALSO_DEFINED = { provider: ['validateConfig', 'testConnection'], taskserv: [], cluster: ['status'] } as const;

const DOCS = ['API.md', 'CHANGELOG.md', 'EXAMPLES.md', 'README.md'];
const PROJECT = ['.gitignore', 'metadata.toml', 'package.json', 'tsconfig.json'];
const FILES = {
  provider: [
    ...DOCS, ...PROJECT, 'tests/api-emulator.ts', 'tests/provider.test.ts',
    ...['api-client', 'index', 'schemas', 'server-info', 'settings', 'validate-config', 'wait-for-server'].map((file) => `src/${file}.ts`),
  ],
  taskserv: [
    ...DOCS, ...PROJECT, 'templates.d.ts', 'templates/config.env', 'templates/server.py', 'templates/unit.service', 'tests/taskserv.test.ts',
    ...['catalog', 'deployment', 'fill-template', 'health', 'index', 'layout', 'remote-files', 'render', 'schemas', 'systemd', 'target-server'].map((file) => `src/${file}.ts`),
  ],
  cluster: [...DOCS, ...PROJECT, 'src/components.ts', 'src/index.ts', 'tests/cluster.test.ts'],
};

const SCAFFOLD_TOKEN = /\{\{(name|Name|NAME|description|provVersion|provRange)\}\}/;

/** tsc on the generated tsconfig.json, as an author's editor would: prov/sdk and prov/testing (src/ and tests/) through node_modules/prov. */
function typecheck(dir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('prov new', () => {
  let root: string;
  /** Where generated extensions go; its node_modules/prov links to this checkout, as `npm install` would. */
  let workspace: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'prov-new-'));
    workspace = path.join(root, 'workspace');
    await mkdir(path.join(workspace, 'node_modules'), { recursive: true });
    await symlink(REPO_ROOT, path.join(workspace, 'node_modules', 'prov'), 'dir');
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  for (const kind of ['provider', 'taskserv', 'cluster'] as const) {
    it(`makes a ${kind} that validates with no finding, describes every operation and type-checks (tests too) through node_modules/prov`, async () => {
      const name = `demo-${kind}`;
      const dir = path.join(workspace, name);
      const made = await runProv(['new', kind, name, '--dir', dir, '--json']);
      expect(made.code).toBe(0);
      expect(made.json).toEqual({ ok: true, result: { kind, name, description: expect.stringContaining(name), dir, files: [...FILES[kind]].sort() } });
      for (const file of FILES[kind]) expect(await readFile(path.join(dir, file), 'utf8')).not.toMatch(SCAFFOLD_TOKEN);
      expect(await readFile(path.join(dir, 'metadata.toml'), 'utf8')).toMatch(/^#:schema \.\/node_modules\/prov\/schema\/metadata\.schema\.json\n\[extension\]\nname = "demo-/);
      expect(JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'))).toMatchObject({ name, private: true, type: 'module', devDependencies: { prov: '^0.1.0' } });

      const validate = await runProv(['validate', dir, '--json']);
      expect(validate.code).toBe(0);
      expect(validate.json).toEqual({ ok: true, result: { dir, findings: [], errors: 0, warnings: 0 } });

      const info = await runProv(['run', dir, 'info', '--json']);
      expect(info.code).toBe(0);
      expect(info.json.result).toMatchObject({ name, kind, version: '0.1.0' });
      const defined = info.json.result.operations.map((operation: { function: string }) => operation.function);
      expect([...defined].sort()).toEqual([...REQUIRED[kind], ...ALSO_DEFINED[kind]].sort());
      if (kind === 'cluster') {
        expect(info.json.result.components.map((component: { name: string; dependencies: string[] }) => [component.name, component.dependencies])).toEqual([
          ['containerd', []],
          ['buildkit', ['containerd']],
          ['registry', []],
        ]);
      }

      const tsc = await typecheck(dir);
      expect(tsc.output).toBe('');
      expect(tsc.code).toBe(0);
    });
  }

  it('leaves {{secret:…}} and the task service\'s own {{…}} placeholders alone', async () => {
    const provider = await readFile(path.join(workspace, 'demo-provider', 'src', 'api-client.ts'), 'utf8');
    expect(provider).toContain("const AUTHORIZATION = 'Bearer {{secret:demo-provider.token}}';");
    const config = await readFile(path.join(workspace, 'demo-taskserv', 'templates', 'config.env'), 'utf8');
    expect(config).toContain('SERVICE_PORT={{port}}\n');
    expect(config).toContain("written by prov's demo-taskserv task service");
  });

  it('puts a description with quotes and backslashes into metadata.toml and package.json intact', async () => {
    const dir = path.join(root, 'quoted');
    const description = 'Says "hi" \\ to C:\\temp — ünïcode';
    const made = await runProv(['new', 'cluster', 'quoted', '--dir', dir, '--description', description, '--json']);
    expect(made.code).toBe(0);
    const info = await runProv(['run', dir, 'info', '--json']);
    expect(info.json.result.description).toBe(description);
    expect(JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')).description).toBe(description);
    expect(await readFile(path.join(dir, 'README.md'), 'utf8')).toContain(`\n${description}\n`);
  });

  it('fills an existing empty directory, and defaults to ./NAME', async () => {
    const cwd = path.join(root, 'cwd');
    await mkdir(path.join(cwd, 'empty'), { recursive: true });
    const intoEmpty = await runProv(['new', 'cluster', 'filled', '--dir', 'empty', '--json'], { cwd });
    expect(intoEmpty.code).toBe(0);
    expect(intoEmpty.json.result.dir).toBe(path.join(cwd, 'empty'));
    const byName = await runProv(['new', 'taskserv', 'by-name'], { cwd });
    expect(byName.code).toBe(0);
    expect(byName.stdout).toMatch(/^created taskserv by-name in by-name \(24 files\)\n/);
    expect((await readdir(cwd)).sort()).toEqual(['by-name', 'empty']);
  });

  describe('refuses, with exit 2 and nothing written', () => {
    it('a name metadata.toml would not take, suggesting one it would', async () => {
      const dir = path.join(root, 'bad-name');
      const result = await runProv(['new', 'provider', 'My_Cloud', '--dir', dir, '--json']);
      expect(result.code).toBe(2);
      expect(result.json).toEqual({
        ok: false,
        error: {
          code: 'Usage',
          message: '"My_Cloud" is not an extension name: it must match ^[a-z][a-z0-9-]{1,62}$ (lower-case letters, digits, dashes; 2–63 characters, starting with a letter)',
          hint: 'Did you mean "my-cloud"? prov new provider my-cloud',
        },
      });
      expect(await readdir(root)).not.toContain('bad-name');
    });

    it('a directory that is not empty', async () => {
      const parent = path.join(root, 'occupied');
      const dir = path.join(parent, 'ext');
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'notes.txt'), 'mine\n');
      const result = await runProv(['new', 'taskserv', 'ext', '--dir', dir, '--json']);
      expect(result.code).toBe(2);
      expect(result.json.error).toEqual({
        code: 'Usage',
        message: `${dir} already exists and is not empty`,
        hint: 'prov new only creates a new directory (or fills an empty one): choose another with --dir, or another name.',
      });
      expect(await readdir(dir)).toEqual(['notes.txt']);
      expect(await readdir(parent)).toEqual(['ext']); // no temporary directory left behind
    });

    it('an unknown kind', async () => {
      const result = await runProv(['new', 'plugin', 'demo', '--json'], { cwd: root });
      expect(result.code).toBe(2);
      expect(result.json.error).toEqual({
        code: 'Usage',
        message: 'Unknown extension kind "plugin": prov new makes a provider, a taskserv or a cluster',
        hint: 'prov new provider|taskserv|cluster NAME',
      });
      expect(await readdir(root)).not.toContain('demo');
    });

    it('a missing kind or name when there is no terminal to ask on', async () => {
      const none = await runProv(['new'], { cwd: root });
      expect(none.code).toBe(2);
      expect(none.stderr).toBe(
        'error[Usage]: prov new needs the kind of extension and its name\n  hint: prov new provider|taskserv|cluster NAME (on a terminal, prov new asks for what is missing)\n',
      );
      const noName = await runProv(['new', 'taskserv', '--json'], { cwd: root });
      expect(noName.code).toBe(2);
      expect(noName.json.error).toEqual({ code: 'Usage', message: 'prov new needs a name for the taskserv', hint: 'prov new taskserv NAME (lower-case letters, digits, dashes)' });
    });
  });
});

const TOKEN = 'tok-acme-5d2c81f0e7';

/**
 * The API the provider template is written against, as far as the test
 * needs it: servers in a Map, each new one `provisioning` for two polls
 * and then `running`, every call checked for the token.
 */
class AcmeEmulator {
  readonly seen: { method: string; path: string; authorization: string | undefined; body: unknown }[] = [];
  readonly #servers = new Map<string, { server: Record<string, unknown>; polls: number }>();
  #server = http.createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    request.on('end', () => {
      const body = raw === '' ? undefined : JSON.parse(raw);
      this.seen.push({ method: request.method!, path: request.url!, authorization: request.headers.authorization, body });
      const [status, answer] = this.#answer(request.method!, request.url!.split('?')[0]!, request.headers.authorization, body);
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

  #answer(method: string, pathname: string, authorization: string | undefined, body: any): [number, unknown] {
    if (authorization !== `Bearer ${TOKEN}`) return [401, { error: { code: 'unauthorized', message: 'bad token' } }];
    const id = /^\/v1\/servers\/([^/]+)$/.exec(pathname)?.[1];
    if (method === 'GET' && pathname === '/v1/account') return [200, { account: { id: 'acct-1', name: 'test' } }];
    if (method === 'POST' && pathname === '/v1/servers') {
      const server = { id: `srv-${this.#servers.size + 1}`, hostname: body.hostname, status: 'provisioning', ipv4: '203.0.113.7', plan: body.plan, zone: body.zone, tags: body.tags };
      this.#servers.set(server.id, { server, polls: 0 });
      return [201, { server }];
    }
    if (method === 'GET' && id !== undefined) {
      const known = this.#servers.get(id);
      if (known === undefined) return [404, { error: { code: 'not_found', message: `no server ${id}` } }];
      known.polls += 1;
      return [200, { server: { ...known.server, status: known.polls > 2 ? 'running' : 'provisioning' } }];
    }
    return [404, { error: { code: 'not_found', message: `${method} ${pathname}` } }];
  }
}

describe('the provider template against an emulator of its API', () => {
  const emulator = new AcmeEmulator();
  let root: string;
  let dir: string;
  let home: string;
  let grant: string[];

  function run(op: string, args: string[]): Promise<CliResult> {
    return runProv(['run', dir, op, '--json', ...args, ...grant], { env: { HOME: home, PROV_SECRET_ACME_TEST_TOKEN: TOKEN } });
  }

  beforeAll(async () => {
    await emulator.start();
    root = await mkdtemp(path.join(os.tmpdir(), 'prov-new-provider-'));
    dir = path.join(root, 'acme-test');
    expect((await runProv(['new', 'provider', 'acme-test', '--dir', dir])).code).toBe(0);
    // As its README says: another API endpoint goes into [permissions] http and settings.json.
    const manifestFile = path.join(dir, 'metadata.toml');
    const manifest = await readFile(manifestFile, 'utf8');
    const withEmulator = manifest.replace(/^http = \[(.*?)\]/m, (_line, hosts: string) => `http = [${hosts}, "${emulator.origin}"]`);
    expect(withEmulator).not.toBe(manifest);
    await writeFile(manifestFile, withEmulator);
    home = path.join(root, 'home');
    const settingsDir = path.join(home, '.config', 'acme-test');
    await mkdir(settingsDir, { recursive: true });
    await writeFile(
      path.join(settingsDir, 'settings.json'),
      JSON.stringify({ api: { base_url: `${emulator.origin}/v1` }, defaults: { zone: 'eu-central-1' }, wait: { interval_ms: 20, timeout_ms: 10_000 } }),
    );
    grant = ['--allow-http', emulator.origin, '--allow-secret', 'acme-test.token', '--allow-read', settingsDir];
  });

  afterAll(async () => {
    await emulator.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('under --check sends no POST and does not wait: the request is in the plan', async () => {
    const check = await run('create-server', ['--check', '--input', JSON.stringify({ hostname: 'web-1', plan: 'small', wait: true })]);
    expect(check.code).toBe(0);
    expect(emulator.seen.filter((seen) => seen.method !== 'GET')).toEqual([]);
    expect(check.json.result).toEqual({
      id: 'planned',
      status: 'planned',
      planned: true,
      request: {
        method: 'POST',
        url: `${emulator.origin}/v1/servers`,
        body: { hostname: 'web-1', plan: 'small', zone: 'eu-central-1', image: 'ubuntu-22.04', ssh_keys: [], tags: {}, firewall_rules: [] },
      },
      hostname: 'web-1',
      addresses: {},
      plan: 'small',
      zone: 'eu-central-1',
      tags: {},
    });
    expect(check.json.plan).toEqual([expect.objectContaining({ capability: 'http', call: 'http.fetch', target: `POST ${emulator.origin}/v1/servers` })]);
    expect(check.stderr).toContain('No ssh_keys');
  });

  it('creates a server and, with "wait", polls with ctx.sleep until it runs; the token is filled in by the host', async () => {
    const create = await run('create-server', ['--input', JSON.stringify({ hostname: 'web-1', plan: 'small', wait: true })]);
    expect(create.code).toBe(0);
    expect(create.json.result).toEqual({
      id: 'srv-1',
      hostname: 'web-1',
      status: 'running',
      addresses: { public_ipv4: '203.0.113.7' },
      plan: 'small',
      zone: 'eu-central-1',
      tags: {},
      ssh: { host: '203.0.113.7', port: 22, user: 'root' },
      polls: 3,
    });
    expect(create.json.changed).toBe(true);
    expect(emulator.seen.map((seen) => `${seen.method} ${seen.path}`)).toEqual(['POST /v1/servers', 'GET /v1/servers/srv-1', 'GET /v1/servers/srv-1', 'GET /v1/servers/srv-1']);
    expect(emulator.seen.every((seen) => seen.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(create.stdout).not.toContain(TOKEN);

    const test = await run('test-connection', []);
    expect(test.json.result).toEqual({ success: true, message: `${emulator.origin}/v1 accepted the token`, account_info: { api_url: `${emulator.origin}/v1`, account: 'acct-1', name: 'test' } });
  });
});
