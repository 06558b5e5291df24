import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRegistrableExtension } from '../helpers/registrable-extension.js';
import { PROV_BIN, REPO_ROOT, runProv } from '../helpers/run-cli.js';

const work = await mkdtemp(path.join(os.tmpdir(), 'prov-registry-crash-'));
let homes = 0;
const freshHome = () => ({ PROV_HOME: path.join(work, `home-${++homes}`) });
const blobFiles = (env: { PROV_HOME: string }) => readdirSync(path.join(env.PROV_HOME, 'registry', 'blobs')).sort();

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Starts `prov args…`; `kill` sends SIGKILL, `done` resolves with how it ended. */
function startProv(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--no-node-snapshot', PROV_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { kill: () => child.kill('SIGKILL'), done };
}

/**
 * What "consistent" means for the registry: SQLite's own integrity check
 * passes, `prov list` answers, and every listed extension's stored files
 * match their recorded hashes (so each one would run).
 */
async function expectConsistent(env: { PROV_HOME: string }): Promise<{ name: string; version: string }[]> {
  const db = new DatabaseSync(path.join(env.PROV_HOME, 'prov.db'));
  try {
    expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
  } finally {
    db.close();
  }
  const listed = await runProv(['list', '--json'], { env });
  expect(listed.json, listed.stderr).toMatchObject({ ok: true });
  for (const entry of listed.json.result as { name: string; type: string }[]) {
    const info = await runProv(['info', entry.name, '--type', entry.type, '--json'], { env });
    expect(info.json.result.integrity, `${entry.name}: ${info.stdout}`).toEqual({ ok: true });
  }
  return listed.json.result;
}

describe('the registry under crashes and concurrent processes', () => {
  it('kill -9 at each failpoint of register leaves the previous version in place, whole, and the next register finishes the job', async () => {
    const env = freshHome();
    const v1 = await writeRegistrableExtension(path.join(work, 'crash-1'), { name: 'crash', version: '1.0.0' });
    const v2 = await writeRegistrableExtension(path.join(work, 'crash-2'), { name: 'crash', version: '2.0.0', members: { getZones: 'async getZones() { return "two"; }' } });
    expect((await runProv(['register', v1], { env })).code).toBe(0);
    const before = blobFiles(env);

    for (const failpoint of ['register:blobs-written', 'register:before-commit']) {
      const crashed = await startProv(['register', v2], { ...env, PROV_FAILPOINT: failpoint }).done;
      expect(crashed.signal, `${failpoint}: ${crashed.stderr}`).toBe('SIGKILL');
      const listed = await expectConsistent(env);
      expect(listed.map((entry) => `${entry.name} ${entry.version}`), failpoint).toEqual(['crash 1.0.0']);
      // The crashed register's files were written (they are garbage now); the old version's are all still there.
      expect(blobFiles(env).filter((file) => before.includes(file))).toEqual(before);
      expect((await runProv(['run', 'crash', 'get-zones', '--json'], { env, cwd: os.tmpdir() })).json).toMatchObject({ ok: true, result: null });
    }
    expect(blobFiles(env).length).toBeGreaterThan(before.length);

    const finished = await runProv(['register', v2, '--json'], { env });
    expect(finished.json.result).toMatchObject({ action: 'upgraded', version: '2.0.0', previous_version: '1.0.0' });
    expect(blobFiles(env)).toHaveLength(2); // the crashes' leftovers and version 1's files collected
    expect((await runProv(['run', 'crash', 'get-zones', '--json'], { env, cwd: os.tmpdir() })).json.result).toBe('two');
    await expectConsistent(env);
  }, 180_000);

  it('kill -9 at random moments of register and unregister never leaves the registry inconsistent', async () => {
    const env = freshHome();
    const versions = await Promise.all(['1.0.0', '1.1.0', '1.2.0'].map((version) => writeRegistrableExtension(path.join(work, `random-${version}`), { name: 'random', version })));
    expect((await runProv(['register', versions[0]!], { env })).code).toBe(0);
    // A register takes ~1 s here (validation loads the extension in a sandbox); the kills spread over all of it.
    const delays = [150, 400, 650, 800, 950, 1100, 1250, 1400, 1600, 1900];
    const outcomes: string[] = [];
    for (const [index, delay] of delays.entries()) {
      const args = index % 4 === 3 ? ['unregister', 'random'] : ['register', versions[index % 3]!, '--force'];
      const run = startProv(args, env);
      const timer = setTimeout(run.kill, delay);
      const ended = await run.done;
      clearTimeout(timer);
      outcomes.push(ended.signal === 'SIGKILL' ? 'killed' : `exit ${ended.code}`);
      const listed = await expectConsistent(env);
      expect(listed.length).toBeLessThanOrEqual(1);
    }
    expect(outcomes.filter((outcome) => outcome === 'killed').length, outcomes.join(', ')).toBeGreaterThan(0);
    expect((await runProv(['register', versions[2]!, '--force'], { env })).code).toBe(0);
    expect(await expectConsistent(env)).toMatchObject([{ name: 'random', version: '1.2.0' }]);
    expect(blobFiles(env)).toHaveLength(2);
  }, 180_000);

  it('concurrent prov processes: every register lands or is refused cleanly, the newest version wins, nothing is lost', async () => {
    const env = freshHome();
    // Each with code of its own: the registry stores files by content, so equal bundles would share them.
    const zones = (text: string) => ({ getZones: `async getZones() { return "${text}"; }` });
    const same = await Promise.all(['1.0.0', '1.0.1', '1.0.2', '1.0.3'].map((version) => writeRegistrableExtension(path.join(work, `race-${version}`), { name: 'race', version, members: zones(version) })));
    const others = await Promise.all(['alpha', 'beta', 'gamma'].map((name) => writeRegistrableExtension(path.join(work, `race-${name}`), { name, version: '1.0.0', type: name === 'beta' ? 'taskserv' : 'provider', members: zones(name) })));
    const runs = [...same, ...others].map((dir) => startProv(['register', dir, '--json'], env));
    // Readers at the same time: list must answer throughout.
    const readers = Array.from({ length: 3 }, () => startProv(['list', '--json'], env));
    const ended = await Promise.all([...runs, ...readers].map((run) => run.done));
    for (const [index, run] of ended.entries()) {
      const document = JSON.parse(run.stdout) as { ok: boolean; error?: { code: string } };
      // An older version that arrives after a newer one is refused, and says why; nothing else may fail.
      if (!document.ok) {
        expect(index, run.stdout).toBeLessThan(same.length);
        expect(document.error!.code, run.stdout).toBe('RegistryConflict');
      }
    }
    const listed = await expectConsistent(env);
    expect(listed.map((entry) => `${entry.name} ${entry.version}`)).toEqual(['alpha 1.0.0', 'beta 1.0.0', 'gamma 1.0.0', 'race 1.0.3']);
    expect(blobFiles(env)).toHaveLength(8);
    for (const [name, answer] of [['alpha', 'alpha'], ['gamma', 'gamma'], ['race', '1.0.3']]) {
      expect((await runProv(['run', name!, 'get-zones', '--json'], { env, cwd: os.tmpdir() })).json).toMatchObject({ ok: true, result: answer });
    }
  }, 180_000);
});
