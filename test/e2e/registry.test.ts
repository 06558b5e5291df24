import { readdirSync } from 'node:fs';
import { appendFile, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRegistrableExtension } from '../helpers/registrable-extension.js';
import { startRecordingServer, type RecordingServer } from '../helpers/recording-server.js';
import { runProv } from '../helpers/run-cli.js';

const work = await mkdtemp(path.join(os.tmpdir(), 'prov-registry-'));
let homes = 0;
/** A PROV_HOME of the test's own: an empty registry. */
const freshHome = () => ({ PROV_HOME: path.join(work, `home-${++homes}`) });
const blobs = (env: { PROV_HOME: string }) => path.join(env.PROV_HOME, 'registry', 'blobs');
const source = (name: string) => path.join(work, 'src', name);

let canary: RecordingServer;
beforeAll(async () => {
  canary = await startRecordingServer();
});
afterAll(async () => {
  await canary.close();
  await rm(work, { recursive: true, force: true });
});

describe('the registry', { timeout: 120_000 }, () => {
  it('register, list, info, run by name and unregister work across processes', async () => {
    const env = freshHome();
    const dir = await writeRegistrableExtension(source('acme-1'), {
      name: 'acme', version: '1.0.0', description: 'Acme cloud', permissions: `http = ["127.0.0.1:${canary.port}"]`,
      members: { getZones: `getZones: defineOperation({ description: 'Zones', input: z.object({ region: z.string() }), async run(input) { return [input.region + '-1']; } })` },
    });
    const registered = await runProv(['register', dir, '--json'], { env });
    expect(registered.json, registered.stderr).toMatchObject({ ok: true, changed: true, result: { action: 'registered', name: 'acme', type: 'provider', version: '1.0.0', previous_version: null } });
    expect(registered.json.result.sha256).toMatch(/^[0-9a-f]{64}$/);

    const listed = await runProv(['list', '--json'], { env });
    expect(listed.json).toEqual({ ok: true, result: [{ name: 'acme', type: 'provider', version: '1.0.0', description: 'Acme cloud', permissions: { http: [`127.0.0.1:${canary.port}`] } }] });
    const human = await runProv(['list'], { env });
    expect(human.stdout).toMatch(/^NAME +TYPE +VERSION +DESCRIPTION \/ PERMISSIONS\nacme +provider +1\.0\.0 +Acme cloud\n +permissions: http 127\.0\.0\.1:\d+\n$/);
    expect((await runProv(['list', '--type', 'taskserv', '--json'], { env })).json.result).toEqual([]);

    const info = await runProv(['info', 'acme', '--json'], { env });
    expect(info.json.result).toMatchObject({
      name: 'acme', type: 'provider', version: '1.0.0', source_dir: dir,
      sha256: { bundle: registered.json.result.sha256 },
      integrity: { ok: true },
      permissions: { requested: { http: [`127.0.0.1:${canary.port}`] }, granted: {}, not_granted: { http: [`127.0.0.1:${canary.port}`] } },
      limits: { memory_mb: 128, timeout_ms: 30000 },
      manifest: { extension: { name: 'acme', version: '1.0.0' } },
    });
    const zones = info.json.result.operations.find((op: { name: string }) => op.name === 'get-zones');
    expect(zones).toMatchObject({ function: 'getZones', description: 'Zones', input_schema: { type: 'object', properties: { region: { type: 'string' } }, required: ['region'] } });
    expect(info.json.result.operations).toHaveLength(12);

    // By name, from a directory that has nothing to do with the extension.
    const ran = await runProv(['run', 'acme', 'get-zones', '--input', '{"region":"eu"}', '--json'], { env, cwd: os.tmpdir() });
    expect(ran.json, ran.stderr).toEqual({ ok: true, result: ['eu-1'], changed: false });
    // The registered bundle runs, not the directory's current code.
    await writeFile(path.join(dir, 'src', 'index.ts'), 'this is not TypeScript any more');
    expect((await runProv(['run', 'acme', 'get-zones', '--input', '{"region":"us"}', '--json'], { env, cwd: os.tmpdir() })).json.result).toEqual(['us-1']);

    const removed = await runProv(['unregister', 'acme', '--json'], { env });
    expect(removed.json).toEqual({ ok: true, result: { removed: 'acme', type: 'provider', version: '1.0.0', grants_revoked: false }, changed: true });
    expect(readdirSync(blobs(env))).toEqual([]);
    const gone = await runProv(['run', 'acme', 'get-zones', '--json'], { env, cwd: os.tmpdir() });
    expect(gone.code).toBe(2);
    expect(gone.json.error).toEqual({
      code: 'NotRegistered', message: 'No extension named "acme" is registered',
      hint: 'See "prov list"; register one with "prov register <dir>", or give a directory (./acme).',
    });
    expect((await runProv(['unregister', 'acme'], { env })).stderr).toContain('error[NotRegistered]: No extension named "acme" is registered');
  });

  it('a newer version upgrades; an older one, or the same version with other contents, needs --force; the same build again is no change', async () => {
    const env = freshHome();
    const v1 = await writeRegistrableExtension(source('ver-1'), { name: 'versions', version: '1.0.0' });
    const v2 = await writeRegistrableExtension(source('ver-2'), { name: 'versions', version: '1.1.0' });
    expect((await runProv(['register', v1, '--json'], { env })).json.result.action).toBe('registered');
    const again = await runProv(['register', v1, '--json'], { env });
    expect(again.json).toMatchObject({ ok: true, changed: false, result: { action: 'unchanged', version: '1.0.0' } });
    const upgraded = await runProv(['register', v2], { env });
    expect(upgraded.stderr).toMatch(/✓ upgraded provider versions 1\.0\.0 → 1\.1\.0 \(sha256 [0-9a-f]{12}…\)/);

    const older = await runProv(['register', v1, '--json'], { env });
    expect(older.code).toBe(2);
    expect(older.json.error).toMatchObject({ code: 'RegistryConflict', message: 'provider versions: 1.1.0 is registered, and 1.0.0 is older', hint: `Downgrading is deliberate: prov register ${v1} --force.` });
    expect((await runProv(['list', '--json'], { env })).json.result[0].version).toBe('1.1.0');

    await appendFile(path.join(v2, 'src', 'index.ts'), '\nexport const changed = 1;\n');
    const same = await runProv(['register', v2, '--json'], { env });
    expect(same.json.error.code).toBe('RegistryConflict');
    expect(same.json.error.message).toMatch(/^provider versions: 1\.1\.0 is already registered with other contents \(bundle sha256 [0-9a-f]{12}…, from /);
    expect(same.json.error.hint).toBe(`Bump [extension] version in metadata.toml (and CHANGELOG.md), or replace it with prov register ${v2} --force.`);

    const forced = await runProv(['register', v1, '--force', '--json'], { env });
    expect(forced.json.result).toMatchObject({ action: 'replaced', version: '1.0.0', previous_version: '1.1.0' });
    expect(readdirSync(blobs(env))).toHaveLength(2); // the replaced version's files are gone
  });

  it('a broken extension is not registered: the findings come back, the registry is untouched', async () => {
    const env = freshHome();
    const dir = await writeRegistrableExtension(source('broken'), { name: 'broken', version: '1.0.0' });
    await rm(path.join(dir, 'API.md'));
    const run = await runProv(['register', dir, '--json'], { env });
    expect(run.code).toBe(3);
    expect(run.json.error).toMatchObject({ code: 'ValidationFailed', message: 'broken was not registered: 1 validation error(s)', details: { findings: [{ rule: 'structure', file: 'API.md', message: 'API.md is missing' }] } });
    expect((await runProv(['list', '--json'], { env })).json.result).toEqual([]);
  });

  it('a new version that asks for more prints the difference, and what is not granted stays denied until prov grant', async () => {
    const env = freshHome();
    const policy = path.join(env.PROV_HOME, 'policy.toml');
    const fetchMember = (operation: string, url: string) => `async ${operation}(_input: unknown, ctx: any) { const response = await ctx.http.fetch('${url}'); return response.status; }`;
    const first = `${canary.origin}/first`;
    const other = await startRecordingServer();
    const second = `${other.origin}/second`;
    const v1 = await writeRegistrableExtension(source('grow-1'), {
      name: 'grow', version: '1.0.0', permissions: `http = ["http://127.0.0.1:${canary.port}"]`,
      members: { getZones: fetchMember('getZones', first) },
    });
    const v2 = await writeRegistrableExtension(source('grow-2'), {
      name: 'grow', version: '2.0.0', permissions: `http = ["http://127.0.0.1:${canary.port}", "http://127.0.0.1:${other.port}"]\nsecrets_read = ["grow.token"]`,
      members: { getZones: fetchMember('getZones', first), getPlans: fetchMember('getPlans', second) },
    });
    expect((await runProv(['register', v1], { env })).code).toBe(0);
    const granted = await runProv(['grant', 'grow', '--yes', '--json'], { env });
    expect(granted.json.result).toEqual({ extension: 'grow', policy, granted: { http: [`http://127.0.0.1:${canary.port}`] } });

    const upgraded = await runProv(['register', v2], { env });
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(upgraded.stderr).toContain([
      '  2.0.0 asks for more than 1.0.0:',
      `    + http          http://127.0.0.1:${other.port}`,
      '    + secrets_read  grow.token',
      '  not granted (denied until you grant it: prov grant grow):',
      `    http          http://127.0.0.1:${other.port}`,
      '    secrets_read  grow.token',
    ].join('\n'));
    const json = await runProv(['register', v2, '--json'], { env }); // unchanged now, the permissions still reported
    expect(json.json.result.permissions).toMatchObject({ granted: { http: [`http://127.0.0.1:${canary.port}`] }, not_granted: { http: [`http://127.0.0.1:${other.port}`], secrets_read: ['grow.token'] } });

    // The grant bound to the registered extension carries over; the new host stays denied.
    canary.requests.length = 0;
    const kept = await runProv(['run', 'grow', 'get-zones', '--json'], { env, cwd: os.tmpdir() });
    expect(kept.json, kept.stdout + kept.stderr).toMatchObject({ ok: true, result: 200 });
    const denied = await runProv(['run', 'grow', 'get-plans', '--json'], { env, cwd: os.tmpdir() });
    expect(denied.code).toBe(4);
    expect(denied.json.error.code).toBe('PermissionDenied');
    expect(denied.json.error.message).toContain(`http://127.0.0.1:${other.port}`);
    expect(canary.requests.map((request) => request.url)).toEqual(['/first']);

    const info = await runProv(['info', 'grow'], { env });
    expect(info.stdout).toContain([
      '  permissions',
      '    granted:',
      `      http          http://127.0.0.1:${canary.port}`,
      '    not granted (denied; prov grant grow):',
      `      http          http://127.0.0.1:${other.port}`,
      '      secrets_read  grow.token',
    ].join('\n'));

    expect((await runProv(['grant', 'grow', '--allow-http', `http://127.0.0.1:${other.port}`], { env })).code).toBe(0);
    const allowed = await runProv(['run', 'grow', 'get-plans', '--json'], { env, cwd: os.tmpdir() });
    expect(allowed.json, allowed.stderr).toMatchObject({ ok: true, result: 200 });
    expect((await runProv(['info', 'grow', '--json'], { env })).json.result.permissions.not_granted).toEqual({ secrets_read: ['grow.token'] });
    expect(other.requests.map((request) => request.url)).toEqual(['/second']);
    await other.close();
  });

  it('a bundle or source map changed or removed behind prov\'s back is refused, and registering again restores it', async () => {
    const env = freshHome();
    const dir = await writeRegistrableExtension(source('tamper'), {
      name: 'tamper', version: '1.0.0', permissions: `http = ["http://127.0.0.1:${canary.port}"]`,
      members: { getZones: `async getZones(_input: unknown, ctx: any) { await ctx.http.fetch('${canary.origin}/ran'); return 'ran'; }` },
    });
    const registered = await runProv(['register', dir, '--json'], { env });
    await runProv(['grant', 'tamper', '--yes'], { env });
    const sha = registered.json.result.sha256 as string;
    const bundle = path.join(blobs(env), `${sha}.js`);
    const map = readdirSync(blobs(env)).find((file) => file.endsWith('.map'))!;
    canary.requests.length = 0;

    // One byte that changes what runs.
    await appendFile(bundle, ';globalThis.x=1');
    const refused = await runProv(['run', 'tamper', 'get-zones', '--json'], { env, cwd: os.tmpdir() });
    expect(refused.code).toBe(3);
    expect(refused.json.error.code).toBe('BundleTampered');
    expect(refused.json.error.message).toMatch(new RegExp(`^The registered bundle of provider tamper 1\\.0\\.0 was modified: ${bundle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has sha256 [0-9a-f]{64}, the registry recorded ${sha}$`));
    expect(refused.json.error.hint).toBe('It was changed outside prov and will not run. Inspect it, then register the extension again from its source (prov register <dir>), which restores it.');
    const human = await runProv(['run', 'tamper', 'get-zones'], { env, cwd: os.tmpdir() });
    expect(human.stderr).toMatch(/^error\[BundleTampered\]: The registered bundle of provider tamper 1\.0\.0 was modified/);
    expect(canary.requests).toEqual([]); // nothing of it ran
    const info = await runProv(['info', 'tamper', '--json'], { env });
    expect(info.json.result.integrity).toEqual({ ok: false, problem: refused.json.error.message });

    const repaired = await runProv(['register', dir, '--json'], { env });
    expect(repaired.json.result).toMatchObject({ action: 'repaired', sha256: sha });
    const restored = await runProv(['run', 'tamper', 'get-zones', '--json'], { env, cwd: os.tmpdir() });
    expect(restored.json, restored.stdout + restored.stderr).toMatchObject({ ok: true, result: 'ran' });

    // The source map decides what stack traces say: it is checked too.
    await writeFile(path.join(blobs(env), map), '{"version":3,"sources":["elsewhere.ts"],"mappings":""}');
    const mapRefused = await runProv(['run', 'tamper', 'get-zones', '--json'], { env, cwd: os.tmpdir() });
    expect(mapRefused.json.error.code).toBe('BundleTampered');
    expect(mapRefused.json.error.message).toMatch(/^The registered source map of provider tamper 1\.0\.0 was modified/);
    await runProv(['register', dir], { env });

    await unlink(bundle);
    const missing = await runProv(['run', 'tamper', 'get-zones', '--json'], { env, cwd: os.tmpdir() });
    expect(missing.json.error.code).toBe('BundleTampered');
    expect(missing.json.error.message).toBe(`The registered bundle of provider tamper 1.0.0 is missing: ${bundle} (ENOENT)`);
    expect(canary.requests.map((request) => request.url)).toEqual(['/ran']);
  });

  it('errors of a registered extension point at its TypeScript source', async () => {
    const env = freshHome();
    const dir = await writeRegistrableExtension(source('throws'), { name: 'throws', version: '1.0.0', members: { stopServer: 'async stopServer() { throw new Error("the zone is full"); }' } });
    await runProv(['register', dir], { env });
    const run = await runProv(['run', 'throws', 'stop-server'], { env, cwd: os.tmpdir() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error\[OperationFailed\]: throws stop-server failed: Error: the zone is full\n {4}at src\/index\.ts:\d+:\d+/);
  });

  it('one name registered as two types: run, info and unregister ask which', async () => {
    const env = freshHome();
    await runProv(['register', await writeRegistrableExtension(source('twin-p'), { name: 'twin', version: '1.0.0' })], { env });
    await runProv(['register', await writeRegistrableExtension(source('twin-t'), { name: 'twin', version: '2.0.0', type: 'taskserv' })], { env });
    const ambiguous = await runProv(['info', 'twin', '--json'], { env });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.json.error).toEqual({ code: 'Usage', message: '"twin" names a registered provider and a taskserv', hint: 'Say which with --type provider or --type taskserv.' });
    expect((await runProv(['run', 'twin', 'info', '--type', 'taskserv', '--json'], { env, cwd: os.tmpdir() })).json.result).toMatchObject({ kind: 'taskserv', version: '2.0.0' });
    expect((await runProv(['unregister', 'twin', '--type', 'provider', '--json'], { env })).json.result).toEqual({ removed: 'twin', type: 'provider', version: '1.0.0', grants_revoked: false });
    expect((await runProv(['run', 'twin', 'info', '--json'], { env, cwd: os.tmpdir() })).json.result.kind).toBe('taskserv');
  });

  it('a path always means the directory; a bare word means the directory only when nothing of that name is registered', async () => {
    const env = freshHome();
    const parent = path.join(work, 'cwd-case');
    await writeRegistrableExtension(path.join(parent, 'local-ext'), { name: 'local-ext', version: '1.0.0', members: { getZones: 'async getZones() { return "from the directory"; }' } });
    expect((await runProv(['run', 'local-ext', 'get-zones', '--json'], { env, cwd: parent })).json.result).toBe('from the directory');
    const other = await writeRegistrableExtension(source('local-ext'), { name: 'local-ext', version: '1.0.0', members: { getZones: 'async getZones() { return "registered"; }' } });
    await runProv(['register', other], { env });
    expect((await runProv(['run', 'local-ext', 'get-zones', '--json'], { env, cwd: parent })).json.result).toBe('registered');
    expect((await runProv(['run', './local-ext', 'get-zones', '--json'], { env, cwd: parent })).json.result).toBe('from the directory');
  });
});
