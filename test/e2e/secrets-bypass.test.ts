/**
 * Adversarial end-to-end tests of secrets (PRODUCT.md §3, §3.1): a
 * `{{secret:NAME}}` placeholder is filled only for names in `secrets`, only
 * on requests to granted (and bound) hosts; `ctx.secrets.get` needs the
 * stronger `secrets_read`; names match exactly; and a value is masked
 * (`***`) in everything prov writes — stdout, stderr, `--json`, plans, the
 * audit log and any file under $PROV_HOME — raw, JSON-escaped and
 * URL-encoded, even when the extension logs it, throws it or returns it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProv, type CliResult } from '../helpers/run-cli.js';
import { outcomesById, tomlList } from '../helpers/attempt-table.js';
import { createTempExtension, providerSource, type TempExtension } from '../helpers/temp-extension.js';

/** A quote and a space: its raw, JSON-escaped and URL-encoded forms all differ. */
const VALUE = 's3cr"et value';
const FORMS = {
  raw: VALUE,
  json: JSON.stringify(VALUE).slice(1, -1), // s3cr\"et value
  url: encodeURIComponent(VALUE), // s3cr%22et%20value
  form: encodeURIComponent(VALUE).replace(/%20/g, '+'), // s3cr%22et+value
};
const PH_VALUE = 'placeholder-only-9d1e';
const OTHER_VALUE = 'bound-elsewhere-4c2b';
/** Set in the environment under names that must never be read. */
const DECOY_VALUE = 'decoy-value-77aa';

interface Hit {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

async function startServer(host = '127.0.0.1'): Promise<{ server: Server; port: number; hits: Hit[]; connections: () => number; close(): Promise<void> }> {
  const hits: Hit[] = [];
  let connections = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      hits.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      response.writeHead(200, { 'content-type': 'application/json' });
      // /echo reflects what it got: a granted host that echoes a secret hands it to the extension
      response.end(request.url?.startsWith('/echo') ? JSON.stringify({ headers: request.headers, body }) : '{"ok":true}');
    });
  });
  server.on('connection', (socket) => {
    connections++;
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    hits,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const SOURCE = providerSource({
  listServers: `async listServers(input: any, ctx: any) {
    const out: any[] = [];
    for (const attempt of input.attempts) {
      try {
        const [capability, name] = attempt.call.split('.');
        const value = await ctx[capability][name](...attempt.args);
        const shown = value !== null && typeof value === 'object' && 'status' in value
          ? { status: value.status, planned: value.planned === true, ...(attempt.keepBody ? { body: value.body } : {}) }
          : value;
        out.push({ id: attempt.id, ok: true, value: shown });
      } catch (error: any) {
        out.push({ id: attempt.id, ok: false, code: error?.code ?? null, message: String(error?.message ?? error), hint: error?.hint ?? null });
      }
    }
    return out;
  }`,
  // reads the secret, then lets it out every way an extension can
  getPlans: `async getPlans(input: any, ctx: any) {
    const v = await ctx.secrets.get('api.token');
    ctx.log.info('raw ' + v);
    ctx.log.warn('json ' + JSON.stringify({ v }));
    ctx.log.error('url ' + encodeURIComponent(v) + ' form ' + encodeURIComponent(v).replace(/%20/g, '+'));
    ctx.log.debug('debug ' + v);
    console.log('console', v);
    console.error({ v });
    try { await ctx.fs.readFile('/nonexistent-prov-dir/' + v); } catch (error: any) { ctx.log.info('fs said ' + error.message); }
    try { await ctx.http.fetch(input.denied + '?q=' + encodeURIComponent(v)); } catch (error: any) { ctx.log.info('http said ' + error.message + ' ' + error.hint); }
    await ctx.http.fetch(input.granted + '/leak/' + encodeURIComponent(v) + '?q=' + encodeURIComponent(v), { headers: { 'x-v': v }, method: 'POST', body: { v } });
    if (input.write) await ctx.fs.writeFile(input.write, 'token = ' + JSON.stringify(v) + '\\n');
    return { raw: v, json: JSON.stringify(v), url: encodeURIComponent(v), form: encodeURIComponent(v).replace(/%20/g, '+'), nested: { [v]: [v] } };
  }`,
  // one way at a time of getting a value into text prov transforms (cuts, escapes, URL-normalises) before it writes it
  getPricing: `async getPricing(input: any, ctx: any) {
    const v = await ctx.secrets.get('api.token');
    const u = await ctx.secrets.get('url.token');
    const d = await ctx.secrets.get('del.token');
    const CUT = 64 * 1024;
    switch (input.case) {
      case 'cut-log': ctx.log.info('x'.repeat(CUT - 4) + v); break;
      case 'cut-throw': throw new Error('x'.repeat(CUT - 4) + v);
      case 'cut-result': return 'x'.repeat(CUT - 4) + v;
      case 'url-path': await ctx.http.fetch(input.granted + '/p/' + u); break;
      case 'url-refused':
        try { await ctx.http.fetch(input.closed + '/p/' + u); } catch (error: any) { ctx.log.info('said ' + error.message); }
        break;
      case 'url-refused-uncaught': await ctx.http.fetch(input.closed + '/p/' + u); break;
      case 'escaped':
        try { await ctx.fs.readFile('/nonexistent-prov/' + d); } catch (error: any) { ctx.log.info('said ' + error.message); }
        break;
      case 'escaped-uncaught': await ctx.fs.readFile('/nonexistent-prov/' + d); break;
    }
    return 'done';
  }`,
  getZones: `async getZones(input: any, ctx: any) {
    const v = await ctx.secrets.get('api.token');
    if (input.mode === 'throw') throw new Error('leak ' + v + ' ' + JSON.stringify(v) + ' ' + encodeURIComponent(v));
    if (input.mode === 'throw-object') throw { message: 'leak ' + v, code: v, stack: v };
    await ctx.http.fetch(input.denied + '/' + encodeURIComponent(v) + '?q=' + encodeURIComponent(v));
    return 'unreachable';
  }`,
});

interface Outcome {
  id: string;
  ok: boolean;
  value?: unknown;
  code?: string | null;
  message?: string;
  hint?: string | null;
}

const byId = (result: CliResult) => outcomesById<Outcome>(result);

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}

describe('placeholders and ctx.secrets.get are matched exactly against the grant', () => {
  let a: Awaited<ReturnType<typeof startServer>>;
  let canary: Awaited<ReturnType<typeof startServer>>;
  let ext: TempExtension;
  let run: CliResult;
  let outcomes: Map<string, Outcome>;

  type Expect = { kind: 'denied'; message: RegExp; hint?: RegExp } | { kind: 'ok'; value?: unknown };
  interface Row {
    id: string;
    why: string;
    call: string;
    args: () => unknown[];
    expect: Expect;
    /** A path on server A that must never see a request (a refused placeholder sends nothing). */
    unsent?: string;
    /** Return the response body to the test (masked by prov). */
    keepBody?: boolean;
  }
  const A = () => `http://127.0.0.1:${a.port}`;
  const SECRET = /secret/;
  const rows: Row[] = [
    // ctx.secrets.get: only secrets_read names, spelled exactly
    { id: 'get-granted', why: 'a secrets_read name: the value, masked in what prov prints', call: 'secrets.get', args: () => ['api.token'], expect: { kind: 'ok', value: '***' } },
    { id: 'get-placeholder-only', why: 'a name only in `secrets` cannot be read', call: 'secrets.get', args: () => ['ph.only'], expect: { kind: 'denied', message: /reading the secret|secret.*ph\.only|ph\.only.*secret/ } },
    { id: 'get-not-in-manifest', why: 'a name the operator grants (--allow-secret-read nope) but the manifest does not ask for', call: 'secrets.get', args: () => ['nope'], expect: { kind: 'denied', message: /^Requires reading the secret "nope"; metadata\.toml does not ask for it$/ } },
    { id: 'get-asked-not-granted', why: 'asked for in secrets_read; the operator granted only the placeholder', call: 'secrets.get', args: () => ['asked.read'], expect: { kind: 'denied', message: /^Requires reading the secret "asked\.read", which metadata\.toml asks for but the operator has not granted$/, hint: /--allow-secret-read asked\.read/ } },
    { id: 'get-case', why: 'no case folding', call: 'secrets.get', args: () => ['API.TOKEN'], expect: { kind: 'denied', message: /secret.*"API\.TOKEN"/ } },
    { id: 'get-dotdot', why: 'no path games', call: 'secrets.get', args: () => ['api.token/../x'], expect: { kind: 'denied', message: SECRET } },
    { id: 'get-underscore', why: 'same environment variable, different name', call: 'secrets.get', args: () => ['api_token'], expect: { kind: 'denied', message: SECRET } },
    { id: 'get-space', why: 'a trailing space', call: 'secrets.get', args: () => ['api.token '], expect: { kind: 'denied', message: SECRET } },
    { id: 'get-bound', why: 'a bound placeholder name is not readable', call: 'secrets.get', args: () => ['other'], expect: { kind: 'denied', message: SECRET } },
    { id: 'get-bound-full', why: 'nor with its binding spelled out', call: 'secrets.get', args: () => ['other@api.example.com'], expect: { kind: 'denied', message: /./ } },
    { id: 'get-non-string', why: 'a number for a name', call: 'secrets.get', args: () => [42], expect: { kind: 'denied', message: /./ } },
    { id: 'get-object', why: 'an object for a name', call: 'secrets.get', args: () => [{ name: 'api.token' }], expect: { kind: 'denied', message: /./ } },
    // placeholders: only `secrets` names, only to granted hosts, nothing sent when refused
    { id: 'ph-not-in-manifest', why: 'a placeholder for a name in no list', call: 'http.fetch', args: () => [`${A()}/ph-not-in-manifest`, { headers: { 'x-t': '{{secret:nope}}' } }], expect: { kind: 'denied', message: /secret.*"nope"/ }, unsent: '/ph-not-in-manifest' },
    { id: 'ph-case', why: 'no case folding in placeholders', call: 'http.fetch', args: () => [`${A()}/ph-case`, { headers: { 'x-t': '{{secret:API.TOKEN}}' } }], expect: { kind: 'denied', message: SECRET }, unsent: '/ph-case' },
    { id: 'ph-dotdot', why: 'no path games in placeholders', call: 'http.fetch', args: () => [`${A()}/ph-dotdot`, { headers: { 'x-t': '{{secret:api.token/../x}}' } }], expect: { kind: 'denied', message: SECRET }, unsent: '/ph-dotdot' },
    { id: 'ph-underscore', why: 'same environment variable, different name', call: 'http.fetch', args: () => [`${A()}/ph-underscore`, { body: 'v={{secret:api_token}}', method: 'POST' }], expect: { kind: 'denied', message: SECRET }, unsent: '/ph-underscore' },
    { id: 'ph-read-only-name-in-url', why: 'a placeholder for an unknown name in the URL', call: 'http.fetch', args: () => [`${A()}/ph-url-nope?t={{secret:nope}}`], expect: { kind: 'denied', message: SECRET }, unsent: '/ph-url-nope' },
    { id: 'ph-bound-other-host', why: 'a secret bound to api.example.com is not filled for another granted host', call: 'http.fetch', args: () => [`${A()}/ph-bound`, { headers: { 'x-t': '{{secret:other}}' } }], expect: { kind: 'denied', message: SECRET }, unsent: '/ph-bound' },
    { id: 'ph-ungranted-host', why: 'a granted secret to a host not granted', call: 'http.fetch', args: () => [`http://127.0.0.1:${canary.port}/ph-ungranted`, { headers: { 'x-t': '{{secret:api.token}}' } }], expect: { kind: 'denied', message: /http access to/ } },
    { id: 'ph-header', why: 'a granted placeholder in a header', call: 'http.fetch', args: () => [`${A()}/ph-header`, { headers: { authorization: 'Bearer {{secret:api.token}}' } }], expect: { kind: 'ok', value: { status: 200, planned: false } } },
    { id: 'ph-body', why: 'a granted placeholder in the body', call: 'http.fetch', args: () => [`${A()}/ph-body`, { method: 'POST', body: 'token={{secret:api.token}}&x=1' }], expect: { kind: 'ok', value: { status: 200, planned: false } } },
    { id: 'ph-json-body', why: 'a granted placeholder in a JSON body', call: 'http.fetch', args: () => [`${A()}/ph-json-body`, { method: 'POST', body: { token: '{{secret:api.token}}' } }], expect: { kind: 'ok', value: { status: 200, planned: false } } },
    { id: 'ph-url', why: 'a granted placeholder in the query', call: 'http.fetch', args: () => [`${A()}/ph-url?t={{secret:api.token}}`], expect: { kind: 'ok', value: { status: 200, planned: false } } },
    { id: 'ph-url-escaped-path', why: 'filling the query leaves an escaped path as it was', call: 'http.fetch', args: () => [`${A()}/ph-escaped%2541%2F?t={{secret:api.token}}`], expect: { kind: 'ok', value: { status: 200, planned: false } } },
    { id: 'ph-echoed', why: 'a granted host echoing a placeholder-only secret: the extension has it, prov still masks it', call: 'http.fetch', args: () => [`${A()}/echo`, { headers: { 'x-t': '{{secret:ph.only}}', 'x-u': '{{secret:api.token}}' } }], keepBody: true, expect: { kind: 'ok' } },
    { id: 'ph-placeholder-only', why: 'a `secrets`-only name fills a placeholder', call: 'http.fetch', args: () => [`${A()}/ph-placeholder-only`, { headers: { 'x-t': '{{secret:ph.only}}' } }], expect: { kind: 'ok', value: { status: 200, planned: false } } },
  ];

  beforeAll(async () => {
    a = await startServer();
    canary = await startServer();
    ext = await createTempExtension({
      manifestExtra: `[permissions]
http = ${tomlList([A(), 'api.example.com'])}
secrets = ${tomlList(['api.token', 'ph.only', 'other@api.example.com'])}
secrets_read = ${tomlList(['api.token', 'asked.read'])}
`,
      source: SOURCE,
    });
    const attempts = rows.map(({ id, call, args, keepBody }) => ({ id, call, args: args(), keepBody }));
    run = await runProv(
      [
        'run', ext.dir, 'list-servers', '--json', '--no-prompt', '--input', JSON.stringify({ attempts }),
        '--allow-http', A(), '--allow-http', 'api.example.com',
        '--allow-secret', 'api.token', '--allow-secret', 'ph.only', '--allow-secret', 'other@api.example.com',
        '--allow-secret-read', 'api.token',
        // wider than the manifest: widens nothing
        '--allow-secret-read', 'nope', '--allow-secret', 'nope', '--allow-secret', 'asked.read', '--allow-secret', 'other',
      ],
      {
        env: {
          PROV_SECRET_API_TOKEN: VALUE,
          PROV_SECRET_PH_ONLY: PH_VALUE,
          PROV_SECRET_OTHER: OTHER_VALUE,
          PROV_SECRET_NOPE: DECOY_VALUE,
          PROV_SECRET_ASKED_READ: DECOY_VALUE,
          PROV_SECRET_API_TOKEN____X: DECOY_VALUE,
        },
      },
    );
    outcomes = byId(run);
  }, 40_000);
  afterAll(async () => {
    await a?.close();
    await canary?.close();
    await ext?.cleanup();
  });

  it('the run succeeds, exit 0', () => {
    expect(run.code, run.stderr).toBe(0);
  });

  it.each(rows.map((row) => row.id))('%s', (id) => {
    const row = rows.find((candidate) => candidate.id === id)!;
    const outcome = outcomes.get(id)!;
    const shown = `${row.why}: ${JSON.stringify(outcome)}`;
    expect(outcome, shown).toBeDefined();
    if (row.expect.kind === 'denied') {
      expect(outcome.ok, shown).toBe(false);
      expect(outcome.code, shown).toBe('PermissionDenied');
      expect(outcome.message, shown).toMatch(row.expect.message);
      if (row.expect.hint) expect(outcome.hint, shown).toMatch(row.expect.hint);
    } else {
      expect(outcome.ok, shown).toBe(true);
      if ('value' in row.expect) expect(outcome.value, shown).toEqual(row.expect.value);
    }
    if (row.unsent) expect(a.hits.filter((hit) => hit.url.startsWith(row.unsent!)), shown).toEqual([]);
  });

  it('the granted host got the real values, filled in where the placeholders were', () => {
    const at = (prefix: string) => a.hits.find((hit) => hit.url.startsWith(prefix))!;
    expect(at('/ph-header').headers['authorization']).toBe(`Bearer ${VALUE}`);
    expect(at('/ph-body').body).toBe(`token=${VALUE}&x=1`);
    expect(JSON.parse(at('/ph-json-body').body)).toEqual({ token: VALUE });
    expect(new URL(at('/ph-url').url, 'http://x').searchParams.get('t')).toBe(VALUE);
    expect(at('/ph-placeholder-only').headers['x-t']).toBe(PH_VALUE);
  });

  it('a placeholder in the query does not re-decode the rest of the URL', () => {
    const hit = a.hits.find((candidate) => candidate.url.startsWith('/ph-escaped'))!;
    expect(hit.url.split('?')[0]).toBe('/ph-escaped%2541%2F');
    expect(new URL(hit.url, 'http://x').searchParams.get('t')).toBe(VALUE);
  });

  it('an echoed value comes back to the extension, and prov prints it masked', () => {
    const echoed = JSON.parse((outcomes.get('ph-echoed')!.value as { body: string }).body);
    expect(echoed.headers['x-t']).toBe('***');
    expect(echoed.headers['x-u']).toBe('***');
  });

  it('no value reached a host it was not for, nor the canary', () => {
    const everything = JSON.stringify(a.hits);
    expect(everything).not.toContain(OTHER_VALUE);
    expect(everything).not.toContain(DECOY_VALUE);
    expect(canary.connections()).toBe(0);
  });

  it('nothing prov printed carries a value or a decoy', () => {
    for (const text of [run.stdout, run.stderr]) {
      for (const form of Object.values(FORMS)) expect(text).not.toContain(form);
      expect(text).not.toContain(PH_VALUE);
      expect(text).not.toContain(OTHER_VALUE);
      expect(text).not.toContain(DECOY_VALUE);
    }
  });
});

describe('a secret value is masked wherever prov writes it', () => {
  let home: string;
  let root: string;
  let a: Awaited<ReturnType<typeof startServer>>;
  let canary: Awaited<ReturnType<typeof startServer>>;
  let ext: TempExtension;
  const runs: Record<string, CliResult> = {};

  const env = () => ({ PROV_HOME: home, PROV_SECRET_API_TOKEN: VALUE });
  const flags = () => [
    '--allow-http', `http://127.0.0.1:${a.port}`, '--allow-secret', 'api.token', '--allow-secret-read', 'api.token',
    '--allow-read', root, '--allow-write', root,
  ];

  beforeAll(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'prov-home-secrets-'));
    root = await mkdtemp(path.join(os.tmpdir(), 'prov-secrets-root-'));
    await writeFile(path.join(root, 'config.toml'), 'token = "old"\n');
    a = await startServer();
    canary = await startServer();
    ext = await createTempExtension({
      manifestExtra: `[permissions]
http = ${tomlList([`http://127.0.0.1:${a.port}`])}
secrets = ["api.token"]
secrets_read = ["api.token"]
fs_read = ${tomlList([root])}
fs_write = ${tomlList([root])}
`,
      source: SOURCE,
    });
    const leakInput = JSON.stringify({ granted: `http://127.0.0.1:${a.port}`, denied: `http://127.0.0.1:${canary.port}/d` });
    runs['json'] = await runProv(['run', ext.dir, 'get-plans', '--json', '--verbose', '--input', leakInput, ...flags()], { env: env() });
    runs['human'] = await runProv(['run', ext.dir, 'get-plans', '--verbose', '--input', leakInput, ...flags()], { env: env() });
    runs['check'] = await runProv(
      ['run', ext.dir, 'get-plans', '--json', '--check', '--input', JSON.stringify({ ...JSON.parse(leakInput), write: path.join(root, 'config.toml') }), ...flags()],
      { env: env() },
    );
    runs['check-human'] = await runProv(
      ['run', ext.dir, 'get-plans', '--check', '--input', JSON.stringify({ ...JSON.parse(leakInput), write: path.join(root, 'config.toml') }), ...flags()],
      { env: env() },
    );
    runs['throw'] = await runProv(['run', ext.dir, 'get-zones', '--json', '--input', '{"mode":"throw"}', ...flags()], { env: env() });
    runs['throw-human'] = await runProv(['run', ext.dir, 'get-zones', '--input', '{"mode":"throw"}', ...flags()], { env: env() });
    runs['throw-object'] = await runProv(['run', ext.dir, 'get-zones', '--json', '--input', '{"mode":"throw-object"}', ...flags()], { env: env() });
    runs['denied'] = await runProv(['run', ext.dir, 'get-zones', '--json', '--input', JSON.stringify({ denied: `http://127.0.0.1:${canary.port}` }), ...flags()], { env: env() });
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await canary?.close();
    await ext?.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
    if (root) await rm(root, { recursive: true, force: true });
  });

  const NAMES = ['json', 'human', 'check', 'check-human', 'throw', 'throw-human', 'throw-object', 'denied'];

  it('exit codes: 0 for the leaks, 1 for the throws, 4 for the denial', () => {
    const codes = Object.fromEntries(NAMES.map((name) => [name, runs[name]!.code]));
    expect(codes).toEqual({ json: 0, human: 0, check: 0, 'check-human': 0, throw: 1, 'throw-human': 1, 'throw-object': 1, denied: 4 });
  });

  it.each(NAMES.flatMap((name) => Object.keys(FORMS).flatMap((form) => [[name, form, 'stdout'], [name, form, 'stderr']])))(
    'run %s: no %s form on %s',
    (name, form, stream) => {
      const text = runs[name]![stream as 'stdout' | 'stderr'];
      expect(text).not.toContain(FORMS[form as keyof typeof FORMS]);
    },
  );

  it.each(NAMES)('run %s: not even a fragment of the value in any encoding', (name) => {
    const text = runs[name]!.stdout + runs[name]!.stderr;
    const at = text.indexOf('s3cr');
    expect(at === -1 ? '' : text.slice(Math.max(0, at - 80), at + 80)).toBe('');
  });

  it('the --json result carries *** where the value was, in every form and as a key', () => {
    expect(runs['json']!.json.result).toEqual({ raw: '***', json: '"***"', url: '***', form: '***', nested: { '***': ['***'] } });
  });

  it('the logs are there, masked', () => {
    const stderr = runs['json']!.stderr;
    expect(stderr).toContain('raw ***');
    expect(stderr).toContain('url *** form ***');
    expect(stderr).toMatch(/json \{"v":"\*\*\*"\}/);
  });

  it('the thrown error is reported, masked', () => {
    expect(runs['throw']!.json.error.code).toBe('OperationFailed');
    expect(runs['throw']!.json.error.message).toContain('leak *** "***" ***');
  });

  it('the denial naming a URL with the value in it is masked, and the canary saw nothing', () => {
    const error = runs['denied']!.json.error;
    expect(error.code).toBe('PermissionDenied');
    expect(error.message).toMatch(/^Requires http access to "http:\/\/127\.0\.0\.1:\d+"; metadata\.toml does not ask for it$/);
    expect(canary.connections()).toBe(0);
  });

  it('the check-mode plan diff and summaries are masked; the file is untouched', async () => {
    const plan = runs['check']!.json.plan as { call: string; target: string; diff?: string }[];
    const write = plan.find((entry) => entry.call === 'fs.writeFile')!;
    expect(write.diff).toContain('+token = "***"');
    expect(JSON.stringify(plan)).not.toMatch(/s3cr/);
    expect(await readFile(path.join(root, 'config.toml'), 'utf8')).toBe('token = "old"\n');
  });

  it('the granted host did get the value (a granted host that echoes it hands it over)', () => {
    expect(a.hits.some((hit) => hit.headers['x-v'] === VALUE)).toBe(true);
  });

  it('the audit log exists, records the calls, and never holds the value', async () => {
    const auditFile = path.join(home, 'audit', 'audit.jsonl');
    const text = await readFile(auditFile, 'utf8');
    const records = text.trim().split('\n').map((line) => JSON.parse(line));
    expect(records.some((record) => record.call === 'secrets.get' && record.decision === 'allowed')).toBe(true);
    expect(records.some((record) => record.call === 'http.fetch' && record.decision === 'denied')).toBe(true);
    expect(records.some((record) => record.call === 'http.fetch' && record.decision === 'planned')).toBe(true);
    for (const form of Object.values(FORMS)) expect(text).not.toContain(form);
    expect(text).not.toMatch(/s3cr/);
    expect(text).toContain('***');
  });

  it('no file under $PROV_HOME holds the value in any form', async () => {
    const files = await filesUnder(home);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      if ((await stat(file)).size > 50 * 1024 * 1024) continue;
      const bytes = await readFile(file);
      for (const form of Object.values(FORMS)) expect(bytes.includes(Buffer.from(form)), `${file} holds the ${form} form`).toBe(false);
    }
  });
});

describe('secret configuration errors', () => {
  let ext: TempExtension;
  afterAll(async () => ext?.cleanup());

  it('a granted secret_read name missing from the environment is SecretNotFound', async () => {
    ext = await createTempExtension({
      manifestExtra: `[permissions]\nsecrets_read = ["missing.one"]\n`,
      source: SOURCE,
    });
    const attempts = [{ id: 'missing', call: 'secrets.get', args: ['missing.one'] }];
    const run = await runProv(['run', ext.dir, 'list-servers', '--json', '--input', JSON.stringify({ attempts }), '--allow-secret-read', 'missing.one']);
    if (run.code === 0) {
      expect(byId(run).get('missing')).toMatchObject({ ok: false, code: 'SecretNotFound' });
      const outcome = byId(run).get('missing')!;
      expect(outcome.message).toContain('"missing.one"');
      expect(`${outcome.message} ${outcome.hint}`).toContain('PROV_SECRET_MISSING_ONE');
    } else {
      expect(run.code).toBe(2);
      expect(run.json.error.code).toBe('SecretNotFound');
      expect(run.json.error.message + run.json.error.hint).toContain('PROV_SECRET_MISSING_ONE');
    }
  });

  it('two granted names mapping to one environment variable are a configuration error, and neither value is used', async () => {
    const server = await startServer();
    const clash = await createTempExtension({
      manifestExtra: `[permissions]\nhttp = ${tomlList([`http://127.0.0.1:${server.port}`])}\nsecrets = ["api.token", "api_token"]\n`,
      source: SOURCE,
    });
    try {
      const attempts = [{ id: 'clash', call: 'http.fetch', args: [`http://127.0.0.1:${server.port}/clash`, { headers: { 'x-t': '{{secret:api.token}}' } }] }];
      const run = await runProv(
        ['run', clash.dir, 'list-servers', '--json', '--input', JSON.stringify({ attempts }), '--allow-http', `http://127.0.0.1:${server.port}`, '--allow-secret', 'api.token', '--allow-secret', 'api_token'],
        { env: { PROV_SECRET_API_TOKEN: VALUE } },
      );
      expect(run.code, run.stdout + run.stderr).toBe(2);
      expect(run.json.ok).toBe(false);
      expect(run.json.error.message).toMatch(/api\.token/);
      expect(run.json.error.message).toMatch(/api_token/);
      expect(server.hits).toEqual([]);
      expect(run.stdout + run.stderr).not.toMatch(/s3cr/);
    } finally {
      await server.close();
      await clash.cleanup();
    }
  });
});

describe('masking survives the ways prov transforms text before writing it', () => {
  /** Characters a URL keeps raw (":", "/", "@") next to ones it encodes (" "): its href form is neither raw nor encodeURIComponent. */
  const URL_VALUE = 'k3y:with space/and@at';
  /** A DEL: JSON keeps it raw, prov's terminal escaping writes it as \u007f. */
  const DEL_VALUE = 'qq\u007fzz-del-9';
  let a: Awaited<ReturnType<typeof startServer>>;
  let closedPort: number;
  let ext: TempExtension;
  const runs: Record<string, { run: CliResult; audit: string }> = {};

  const CASES = [
    { name: 'cut-log', exit: 0, fragments: ['s3cr'] },
    { name: 'cut-throw', exit: 1, fragments: ['s3cr'] },
    { name: 'cut-result', exit: 0, fragments: ['s3cr'] },
    { name: 'url-path', exit: 0, fragments: ['k3y', 'with%20space', 'with space'] },
    { name: 'url-refused', exit: 0, fragments: ['k3y', 'with%20space', 'with space'] },
    { name: 'url-refused-uncaught', exit: 1, fragments: ['k3y', 'with%20space', 'with space'] },
    { name: 'escaped', exit: 0, fragments: ['zz-del-9'] },
    { name: 'escaped-uncaught', exit: 4, fragments: ['zz-del-9'] },
  ];

  beforeAll(async () => {
    a = await startServer();
    const closed = await startServer();
    closedPort = closed.port;
    await closed.close();
    ext = await createTempExtension({
      manifestExtra: `[permissions]
http = ${tomlList([`http://127.0.0.1:${a.port}`, `http://127.0.0.1:${closedPort}`])}
secrets_read = ["api.token", "url.token", "del.token"]
`,
      source: SOURCE,
    });
    await Promise.all(
      CASES.map(async ({ name }) => {
        const home = await mkdtemp(path.join(os.tmpdir(), 'prov-home-mask-'));
        try {
          const input = { case: name, granted: `http://127.0.0.1:${a.port}`, closed: `http://127.0.0.1:${closedPort}` };
          const run = await runProv(
            ['run', ext.dir, 'get-pricing', '--json', '--input', JSON.stringify(input),
              '--allow-http', `http://127.0.0.1:${a.port}`, '--allow-http', `http://127.0.0.1:${closedPort}`,
              '--allow-secret-read', 'api.token', '--allow-secret-read', 'url.token', '--allow-secret-read', 'del.token'],
            { env: { PROV_HOME: home, PROV_SECRET_API_TOKEN: VALUE, PROV_SECRET_URL_TOKEN: URL_VALUE, PROV_SECRET_DEL_TOKEN: DEL_VALUE } },
          );
          const auditFile = path.join(home, 'audit', 'audit.jsonl');
          runs[name] = { run, audit: existsSync(auditFile) ? await readFile(auditFile, 'utf8') : '' };
        } finally {
          await rm(home, { recursive: true, force: true });
        }
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await ext?.cleanup();
  });

  it.each(CASES)('$name: exit $exit', ({ name, exit }) => {
    const { run } = runs[name]!;
    expect(run.code, run.stdout + run.stderr).toBe(exit);
    expect(run.json, run.stdout).toBeDefined();
  });

  it.each(CASES.flatMap(({ name, fragments }) => fragments.flatMap((fragment) => [
    [name, fragment, 'stdout'], [name, fragment, 'stderr'], [name, fragment, 'audit'],
  ])))('%s: no "%s" on %s', (name, fragment, where) => {
    const { run, audit } = runs[name]!;
    const text = where === 'audit' ? audit : run[where as 'stdout' | 'stderr'];
    const at = text.indexOf(fragment);
    // only the neighbourhood of a leak is shown (the cut cases write 64 KiB lines)
    expect(at === -1 ? '' : text.slice(Math.max(0, at - 80), at + 80)).toBe('');
  });

  it('the granted host got the value in the path (so the call really ran)', () => {
    expect(a.hits.some((hit) => hit.url.startsWith('/p/k3y:with%20space/and@at'))).toBe(true);
  });
});
