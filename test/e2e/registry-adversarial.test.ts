import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveExtension } from '../../runtime/extension/extension-source.js';
import { codeCacheKey } from '../../runtime/sandbox/code-cache.js';
import { writeRegistrableExtension } from '../helpers/registrable-extension.js';
import { runProv } from '../helpers/run-cli.js';

const work = await mkdtemp(path.join(os.tmpdir(), 'prov-registry-adv-'));
let homes = 0;
const freshHome = () => ({ PROV_HOME: path.join(work, `home-${++homes}`) });
const blobs = (env: { PROV_HOME: string }) => path.join(env.PROV_HOME, 'registry', 'blobs');
const source = (name: string) => path.join(work, 'src', name);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the registry against an attacker who can write under $PROV_HOME but not the database', () => {
  it('garbage collection never follows a symlinked blobs directory out of $PROV_HOME', async () => {
    const env = freshHome();
    const dir = await writeRegistrableExtension(source('gc-link'), { name: 'gc-link', version: '1.0.0' });
    expect((await runProv(['register', dir], { env })).code).toBe(0);
    // The blobs directory is swapped for a link to the operator's files (a copy of the blobs included, so runs still work).
    const victim = path.join(work, 'victim');
    await mkdir(victim);
    for (const file of readdirSync(blobs(env))) copyFileSync(path.join(blobs(env), file), path.join(victim, file));
    await writeFile(path.join(victim, 'precious.txt'), 'keep me');
    await writeFile(path.join(victim, '.bashrc'), 'keep me too');
    await rename(blobs(env), `${blobs(env)}.orig`);
    await symlink(victim, blobs(env));

    const removed = await runProv(['unregister', 'gc-link'], { env });
    expect(removed.code, removed.stderr).toBe(0);
    expect(existsSync(path.join(victim, 'precious.txt'))).toBe(true);
    expect(existsSync(path.join(victim, '.bashrc'))).toBe(true);
  });

  it('garbage collection deletes only the files it writes: a directory or a stranger\'s file in blobs does not fail a register or unregister that committed', async () => {
    const env = freshHome();
    const dir = await writeRegistrableExtension(source('gc-dir'), { name: 'gc-dir', version: '1.0.0' });
    await mkdir(path.join(blobs(env), 'a-directory'), { recursive: true });
    await mkdir(path.join(blobs(env), `${'0'.repeat(64)}.js`));
    await writeFile(path.join(blobs(env), 'notes.txt'), 'not prov\'s');
    const registered = await runProv(['register', dir, '--json'], { env });
    expect(registered.json, registered.stderr).toMatchObject({ ok: true, result: { action: 'registered' } });
    const removed = await runProv(['unregister', 'gc-dir', '--json'], { env });
    expect(removed.json, removed.stderr).toMatchObject({ ok: true, result: { removed: 'gc-dir' } });
    expect(readdirSync(blobs(env)).sort()).toEqual([`${'0'.repeat(64)}.js`, 'a-directory', 'notes.txt']);
  });

  it('a blob path that is a directory is refused as tampered, not as an internal error', async () => {
    const env = freshHome();
    const dir = await writeRegistrableExtension(source('blob-dir'), { name: 'blob-dir', version: '1.0.0' });
    const registered = await runProv(['register', dir, '--json'], { env });
    const bundle = path.join(blobs(env), `${registered.json.result.sha256}.js`);
    await rm(bundle);
    await mkdir(bundle);
    const run = await runProv(['run', 'blob-dir', 'get-zones', '--json'], { env, cwd: os.tmpdir() });
    expect(run.json.error.code).toBe('BundleTampered');
    expect(run.code).toBe(3);
  });

  // V8 checks a code cache against the *length* of the source only: a cache
  // made from other code of the same length is accepted and that code runs.
  // The registry checks the bundle's sha256, but the cache under
  // $PROV_HOME/cache/code is not checked at all. So a registered bundle is
  // never compiled with a cache from a file: only its checked text counts.
  it('a code cache planted for a registered bundle does not change what runs', async () => {
    const envGood = freshHome();
    const envEvil = freshHome();
    const write = (dir: string, tag: string) => writeRegistrableExtension(dir, {
      name: 'cached', version: '1.0.0',
      members: { getZones: 'async getZones() { return TAG; }' },
    }).then(async () => {
      const index = path.join(dir, 'src', 'index.ts');
      await writeFile(index, (await readFile(index, 'utf8')).replace("import * as z from 'prov/sdk/zod';", `import * as z from 'prov/sdk/zod';\nconst TAG = "${tag}";`));
    });
    await write(source('cached-good'), 'zones');
    await write(source('cached-evil'), 'EVILS');
    const good = await runProv(['register', source('cached-good'), '--json'], { env: envGood });
    const evil = await runProv(['register', source('cached-evil'), '--json'], { env: envEvil });
    const goodCode = await readFile(path.join(blobs(envGood), `${good.json.result.sha256}.js`), 'utf8');
    const evilCode = await readFile(path.join(blobs(envEvil), `${evil.json.result.sha256}.js`), 'utf8');
    expect(evilCode.length).toBe(goodCode.length);
    const cacheOf = (env: { PROV_HOME: string }, code: string) => path.join(env.PROV_HOME, 'cache', 'code', `${codeCacheKey(code)}.v8cache`);
    expect((await runProv(['run', 'cached', 'get-zones', '--json'], { env: envGood, cwd: os.tmpdir() })).json.result).toBe('zones');
    expect(existsSync(cacheOf(envGood, goodCode))).toBe(false); // a registered run writes no cache file
    // The attacker makes a cache of their code (run from its directory, the same bundle text) and plants it at the registered one's key.
    expect((await runProv(['run', source('cached-evil'), 'get-zones', '--json'], { env: envEvil })).json.result).toBe('EVILS');
    mkdirSync(path.dirname(cacheOf(envGood, goodCode)), { recursive: true });
    copyFileSync(cacheOf(envEvil, evilCode), cacheOf(envGood, goodCode));
    expect((await runProv(['info', 'cached', '--json'], { env: envGood })).json.result.integrity).toEqual({ ok: true });
    const ran = await runProv(['run', 'cached', 'get-zones', '--json'], { env: envGood, cwd: os.tmpdir() });
    expect(ran.json.result).toBe('zones');
  });
});

describe('the registry under concurrent commands', () => {
  it('a run that looked up a version which another process then replaced fails clearly, not as tampering', async () => {
    const env = freshHome();
    const v1 = await writeRegistrableExtension(source('race-1'), { name: 'race', version: '1.0.0' });
    const v2 = await writeRegistrableExtension(source('race-2'), { name: 'race', version: '2.0.0', members: { getZones: 'async getZones() { return "two"; }' } });
    expect((await runProv(['register', v1], { env })).code).toBe(0);
    const resolved = await resolveExtension('race', { env: { ...process.env, ...env } });
    // Between the lookup and the read of the bundle (a permission prompt can take minutes), 2.0.0 is registered: its GC deletes 1.0.0's files.
    expect((await runProv(['register', v2], { env })).code).toBe(0);
    const failure = await resolved.bundle().then(() => undefined, (error: unknown) => error as { code: string; message: string; hint: string });
    expect(failure).toMatchObject({
      code: 'RegistryChanged',
      message: 'provider race 1.0.0 was replaced by 2.0.0 while this command was starting',
      hint: 'Run the command again: it will use 2.0.0 (prov info race shows what it asks for).',
    });

    const again = await resolveExtension('race', { env: { ...process.env, ...env } });
    expect((await runProv(['unregister', 'race'], { env })).code).toBe(0);
    await expect(again.bundle()).rejects.toMatchObject({ code: 'RegistryChanged', message: 'provider race 2.0.0 was unregistered while this command was starting' });
  });
});

describe('policy bindings of registered extensions', () => {
  it('an entry that says both registered = true and dir is refused, not read as registered alone', async () => {
    const env = freshHome();
    const dir = await writeRegistrableExtension(source('both'), { name: 'both', version: '1.0.0', permissions: 'http = ["example.com"]' });
    expect((await runProv(['register', dir], { env })).code).toBe(0);
    await writeFile(path.join(env.PROV_HOME, 'policy.toml'), `[extensions.both]\ntype = "provider"\nregistered = true\ndir = "/srv/elsewhere"\nhttp = ["example.com"]\n`);
    const info = await runProv(['info', 'both', '--json'], { env });
    expect(info.code).toBe(2);
    expect(info.json.error.code).toBe('PolicyInvalid');
    expect(info.json.error.message).toContain('extensions.both: registered = true and dir cannot both be set');
  });

  it('unregister revokes the grants bound to the registered extension: the next one registered under its name starts with none', async () => {
    const env = freshHome();
    const first = await writeRegistrableExtension(source('heir-1'), { name: 'heir', version: '1.0.0', permissions: 'http = ["example.com"]' });
    expect((await runProv(['register', first], { env })).code).toBe(0);
    expect((await runProv(['grant', 'heir', '--yes'], { env })).code).toBe(0);
    const unregistered = await runProv(['unregister', 'heir', '--json'], { env });
    expect(unregistered.json.result).toEqual({ removed: 'heir', type: 'provider', version: '1.0.0', grants_revoked: true });
    // Someone else's extension, from another directory, a lower version.
    const stranger = await writeRegistrableExtension(source('heir-stranger'), { name: 'heir', version: '0.1.0', permissions: 'http = ["example.com"]' });
    const registered = await runProv(['register', stranger], { env });
    expect(registered.code, registered.stderr).toBe(0);
    expect(registered.stderr).not.toContain('already granted');
    expect(registered.stderr).toContain(['  not granted (denied until you grant it: prov grant heir):', '    http          example.com'].join('\n'));
    // A grant already in the policy when an extension is registered (written by hand) is shown.
    expect((await runProv(['unregister', 'heir'], { env })).code).toBe(0);
    await writeFile(path.join(env.PROV_HOME, 'policy.toml'), '[extensions.heir]\ntype = "provider"\nregistered = true\nhttp = ["example.com"]\n');
    const shown = await runProv(['register', stranger], { env });
    expect(shown.stderr).toContain([`  already granted by ${path.join(env.PROV_HOME, 'policy.toml')} ([extensions.heir]):`, '    http          example.com'].join('\n'));
    expect((await runProv(['unregister', 'heir'], { env })).stderr).toContain(`; its grants in ${path.join(env.PROV_HOME, 'policy.toml')} are revoked`);
  });

  it('an upgrade from another directory says so, and which grants carry over', async () => {
    const env = freshHome();
    const v1 = await writeRegistrableExtension(source('move-1'), { name: 'move', version: '1.0.0', permissions: 'http = ["example.com"]' });
    const v2 = await writeRegistrableExtension(source('move-elsewhere'), { name: 'move', version: '2.0.0', permissions: 'http = ["example.com"]' });
    expect((await runProv(['register', v1], { env })).code).toBe(0);
    expect((await runProv(['grant', 'move', '--yes'], { env })).code).toBe(0);
    const upgraded = await runProv(['register', v2], { env });
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(upgraded.stderr).toContain([
      `  from another directory than 1.0.0 (${v1} → ${v2}), and what the policy grants carries over to it:`,
      '    http          example.com',
    ].join('\n'));
  });
});
