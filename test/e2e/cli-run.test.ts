import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempExtension, providerSource, type TempExtension } from '../helpers/temp-extension.js';
import { REPO_ROOT, runProv } from '../helpers/run-cli.js';

const HETZNER = path.join(REPO_ROOT, 'extensions', 'hetzner');

describe('prov run on the reference extension', () => {
  it('round-trips input and output as one JSON document', async () => {
    const run = await runProv(['run', HETZNER, 'validate-config', '--json', '--input', '{"hostname":"web-1","plan":"cx22","zone":"fsn1"}']);
    expect(run.code).toBe(0);
    expect(run.json).toEqual({
      ok: true,
      result: {
        valid: true,
        errors: [],
        warnings: ['No ssh_keys: the server will only be reachable with the root password Hetzner e-mails'],
      },
      changed: false,
    });
  });

  it('reads the input from a TOML config file', async () => {
    const ext = await createTempExtension({ source: providerSource({}) });
    try {
      const file = path.join(ext.dir, 'server.toml');
      await writeFile(file, 'hostname = "db-1"\nplan = "cx42"\nzone = "nbg1"\n[tags]\nrole = "db"\n');
      const grants = ['--allow-http', 'api.hetzner.cloud', '--allow-secret', 'hetzner.token', '--allow-read', '~/.config/hetzner'];
      // Under --check the POST is planned, not sent: no token and no network needed.
      const run = await runProv(['run', HETZNER, 'create-server', '--check', '--json', '--config', file, ...grants], { env: { HOME: ext.dir } });
      expect(run.code, run.stderr).toBe(0);
      expect(run.json.ok).toBe(true);
      expect(run.json.plan).toMatchObject([{ capability: 'http', call: 'http.fetch', target: 'POST https://api.hetzner.cloud/v1/servers', changes: true }]);
      expect(run.json.result.request.body).toMatchObject({ name: 'db-1', server_type: 'cx42', location: 'nbg1', labels: { role: 'db' } });
      expect(run.json.result.request.body.user_data).toContain('hostname: db-1');
      expect(run.json.result.request.body.user_data).toContain('role=db');
      expect(run.stderr).toContain('[info] hetzner: would POST https://api.hetzner.cloud/v1/servers');
    } finally {
      await ext.cleanup();
    }
  });

  it('describes operations with their input JSON Schemas under "info"', async () => {
    const run = await runProv(['run', HETZNER, 'info', '--json']);
    expect(run.code).toBe(0);
    const validate = run.json.result.operations.find((op: { name: string }) => op.name === 'validate-config');
    expect(validate.function).toBe('validateConfig');
    expect(validate.input_schema.properties.hostname).toMatchObject({ type: 'string', maxLength: 63 });
    expect(validate.input_schema.required).toEqual(expect.arrayContaining(['hostname', 'plan', 'zone']));
    expect(run.json.result).toMatchObject({ name: 'hetzner', kind: 'provider', version: '0.2.0', limits: { memory_mb: 64 } });
    expect(run.json.result.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports field-level errors for input failing its zod schema, exit 2', async () => {
    const run = await runProv(['run', HETZNER, 'validate-config', '--json', '--input', '{"hostname":"Web_1","plan":7}']);
    expect(run.code).toBe(2);
    expect(run.json.ok).toBe(false);
    expect(run.json.error.code).toBe('InvalidInput');
    expect(run.json.error.details.issues).toEqual([
      { path: ['hostname'], message: 'must be a lower-case RFC 1123 host name' },
      { path: ['plan'], message: 'Invalid input: expected string, received number' },
      { path: ['zone'], message: 'Invalid input: expected string, received undefined' },
    ]);
  });

  it('prints the result for humans with a status line on stderr', async () => {
    const run = await runProv(['run', HETZNER, 'get-zones']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)[0]).toEqual({ name: 'fsn1', location: 'Falkenstein, DE', description: 'eu-central' });
    expect(run.stderr).toMatch(/✓ hetzner get-zones: no change \(\d+ ms\)/);
  });
});

describe('prov run errors', () => {
  let ext: TempExtension;
  beforeAll(async () => {
    ext = await createTempExtension({
      manifestExtra: '[limits]\ntimeout_ms = 1500\ncpu_ms = 300\n',
      source: providerSource({
        listServers: `async listServers() { while (true) {} }`,
        getServerInfo: `async getServerInfo() { await new Promise(() => {}); }`,
        stopServer: `async stopServer() {
    throw new Error('the zone is full');
  }`,
        getPlans: `async getPlans() { throw Object.assign(new Error('not allowed, says the extension'), { code: 'PermissionDenied' }); }`,
      }),
    });
  });
  afterAll(() => ext.cleanup());

  it('reports an error thrown at a known TypeScript line at that line, without a prov stack trace', async () => {
    const run = await runProv(['run', ext.dir, 'stop-server']);
    expect(run.code).toBe(1);
    // providerSource puts stopServer's body at line 11 (imports, prologue, 7 members before it)
    const source = providerSource({ stopServer: `async stopServer() {\n    throw new Error('the zone is full');\n  }` }).split('\n');
    const line = source.findIndex((text) => text.includes("throw new Error('the zone is full')")) + 1;
    expect(run.stderr).toContain(`error[OperationFailed]: test-ext stop-server failed: Error: the zone is full\n    at src/index.ts:${line}:11`);
    expect(run.stderr).not.toMatch(/runtime\/|node:internal|dist\//);
  });

  it('an extension claiming PermissionDenied gets exit 1 and OperationFailed', async () => {
    const run = await runProv(['run', ext.dir, 'get-plans', '--json']);
    expect(run.code).toBe(1);
    expect(run.json.error.code).toBe('OperationFailed');
    expect(run.json.error.details.extensionCode).toBe('PermissionDenied');
  });

  it('ends a spinning guest at its CPU budget with LimitExceeded, exit 5', async () => {
    const run = await runProv(['run', ext.dir, 'list-servers', '--json']);
    expect(run.code).toBe(5);
    expect(run.json.error).toMatchObject({ code: 'LimitExceeded', details: { limit: 'cpu', limit_ms: 300 } });
    expect(run.json.error.message).toBe('test-ext exceeded its CPU limit of 300 ms in list-servers; its isolate was ended');
  });

  it('ends a guest awaiting forever at its wall-clock deadline', async () => {
    const run = await runProv(['run', ext.dir, 'get-server-info', '--json']);
    expect(run.code).toBe(5);
    expect(run.json.error).toMatchObject({ code: 'LimitExceeded', details: { limit: 'timeout', limit_ms: 1500 } });
    // said by the isolate's own watchdog, not by the backstop that kills a host that stopped answering
    expect(run.json.error.message).toBe('test-ext exceeded its time limit of 1500 ms in get-server-info; its isolate was ended');
  });

  it('names the available operations for an unknown one, exit 2', async () => {
    const run = await runProv(['run', ext.dir, 'create-cluster', '--json']);
    expect(run.code).toBe(2);
    expect(run.json.error.code).toBe('UnknownOperation');
    expect(run.json.error.message).toBe('test-ext has no operation "create-cluster"');
    expect(run.json.error.hint).toContain('create-server, delete-server');
  });

  it('refuses input that is not JSON, exit 2', async () => {
    const run = await runProv(['run', ext.dir, 'list-servers', '--input', '{hostname: web}']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error\[InvalidJson\]: --input is not valid JSON: /);
    expect(run.stderr).toContain(`hint: Quote the JSON for your shell`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses --input together with --config, exit 2', async () => {
    const run = await runProv(['run', ext.dir, 'list-servers', '--input', '{}', '--config', 'x.json', '--json']);
    expect(run.code).toBe(2);
    expect(run.json.error.code).toBe('Usage');
  });

  it('reports an unknown option in prov\'s format, exit 2', async () => {
    const run = await runProv(['run', ext.dir, 'list-servers', '--frobnicate', '--json']);
    expect(run.code).toBe(2);
    expect(run.json).toEqual({
      ok: false,
      error: { code: 'Usage', message: "unknown option '--frobnicate'", hint: 'See "prov --help" or "prov <command> --help".' },
    });
  });

  it('names a missing config file', async () => {
    const run = await runProv(['run', ext.dir, 'list-servers', '--config', '/nonexistent/server.toml', '--json']);
    expect(run.code).toBe(2);
    expect(run.json.error).toMatchObject({ code: 'FileNotFound', message: 'Cannot read the config file /nonexistent/server.toml' });
  });
});
