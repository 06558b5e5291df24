import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chokidarWatcher } from '../../runtime/cli/chokidar-watcher.js';
import { DevEnv } from '../../runtime/dev/dev-env.js';
import type { DevEvent } from '../../runtime/dev/dev-events.js';
import type { WatchFiles } from '../../runtime/dev/file-watcher.js';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { writeRegistrableExtension } from '../helpers/registrable-extension.js';
import { providerSource } from '../helpers/temp-extension.js';

interface TempExtension {
  dir: string;
  cleanup(): Promise<void>;
}

/** A complete provider (docs, CHANGELOG, compatibility: it validates) whose getZones answers `answer`. */
async function createExtension(name: string, answer: string): Promise<TempExtension> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'prov-devenv-'));
  const dir = await writeRegistrableExtension(path.join(root, name), { name, version: '1.0.0', members: { getZones: `async getZones() { return ${JSON.stringify(answer)}; }` } });
  return { dir, cleanup: () => rm(root, { recursive: true, force: true }) };
}

type Finished = Extract<DevEvent, { type: 'cycleFinished' }>;

/** A DevEnv on a temp extension, with every event it dispatched and a way to wait for the next finished cycle. */
function session(extension: TempExtension, options: { run?: string; watch?: WatchFiles; debounceMs?: number } = {}) {
  const events: DevEvent[] = [];
  const waiting: ((event: Finished) => void)[] = [];
  const env = new DevEnv({
    dir: extension.dir,
    watch: options.watch ?? chokidarWatcher,
    load: { log: { write() {} }, audit: { write() {} }, inventory: [], env: { PROV_HOME: path.join(extension.dir, '..', 'home') } },
    ...(options.run === undefined ? {} : { run: { operation: options.run, check: true } }),
    ...(options.debounceMs === undefined ? {} : { debounceMs: options.debounceMs }),
    onEvent: (event) => {
      events.push(event);
      if (event.type === 'cycleFinished') waiting.shift()?.(event);
    },
  });
  const finished = () => new Promise<Finished>((resolve) => waiting.push(resolve));
  return { env, events, finished };
}

const zones = (answer: string) => providerSource({ getZones: `async getZones() { return ${JSON.stringify(answer)}; }` });

describe('DevEnv (the library under prov dev)', { timeout: 60_000 }, () => {
  let extension: TempExtension | undefined;
  let env: DevEnv | undefined;
  afterEach(async () => {
    await env?.close();
    await extension?.cleanup();
    env = undefined;
    extension = undefined;
  });

  it('a build that fails leaves the last good one answering; the next good one replaces it', async () => {
    extension = await createExtension('devlib', 'one');
    const s = session(extension);
    env = s.env;
    const first = s.finished();
    await env.start();
    expect((await first).verdict).toBe('reloaded');
    expect((await env.current!.sandbox.call('getZones', undefined)).result).toBe('one');

    const entry = path.join(extension.dir, 'src', 'index.ts');
    const broken = s.finished();
    await appendFile(entry, '\nexport const = ;\n');
    expect(await broken).toMatchObject({ verdict: 'failed', stage: 'build', paths: ['src/index.ts'] });
    expect((await env.current!.sandbox.call('getZones', undefined)).result).toBe('one'); // still the last good build

    const missing = s.finished();
    await writeFile(entry, zones('two').replace('async getPlans() { return null; },', ''));
    expect(await missing).toMatchObject({ verdict: 'failed', stage: 'validate' });
    const finding = s.events.filter((event) => event.type === 'validated').at(-1) as Extract<DevEvent, { type: 'validated' }>;
    expect(finding.findings.map((each) => each.message)).toContain('the provider does not define get-plans (getPlans)');
    expect((await env.current!.sandbox.call('getZones', undefined)).result).toBe('one');

    const fixed = s.finished();
    await writeFile(entry, zones('three'));
    expect((await fixed).verdict).toBe('reloaded');
    expect((await env.current!.sandbox.call('getZones', undefined)).result).toBe('three');
  });

  it('changes in a burst make one cycle; a change during a cycle cancels it and the newest wins', async () => {
    extension = await createExtension('devburst', 'a');
    // A watcher the test drives by hand: exact control over when changes arrive.
    let notify: (file: string) => void = () => undefined;
    const manual: WatchFiles = async (_dir, onChange) => {
      notify = onChange;
      return { close: async () => undefined };
    };
    const s = session(extension, { watch: manual, debounceMs: 30, run: 'get-zones' });
    env = s.env;
    const first = s.finished();
    await env.start();
    await first;
    const entry = path.join(extension.dir, 'src', 'index.ts');

    const burst = s.finished();
    await writeFile(entry, zones('b'));
    for (let index = 0; index < 5; index++) notify(entry);
    expect((await burst).paths).toEqual(['src/index.ts']);
    expect(s.events.filter((event) => event.type === 'cycleStarted')).toHaveLength(2);

    // A change while the next cycle is in flight: that cycle is cancelled, the newer one reloads.
    const next = s.finished();
    await writeFile(entry, zones('c'));
    notify(entry);
    await new Promise((resolve) => setTimeout(resolve, 40)); // past the debounce: the cycle has started
    await writeFile(entry, zones('d'));
    notify(entry);
    const done = await next;
    expect(done.verdict).toBe('reloaded');
    expect(s.events.filter((event) => event.type === 'cycleCancelled').length).toBeGreaterThanOrEqual(1);
    const ran = s.events.filter((event): event is Extract<DevEvent, { type: 'ran' }> => event.type === 'ran').at(-1)!;
    expect(ran.outcome?.result).toBe('d');
    expect(ran.cycle).toBe(done.cycle);
  });

  it('close() disposes the loaded sandbox and says so once', async () => {
    extension = await createExtension('devclose', 'x');
    const s = session(extension);
    env = s.env;
    const first = s.finished();
    await env.start();
    await first;
    const current = env.current!;
    await env.close();
    await expect(current.sandbox.call('getZones', undefined)).rejects.toMatchObject({ code: expect.any(String) });
    await env.close();
    expect(s.events.filter((event) => event.type === 'closed')).toHaveLength(1);
    await readFile(path.join(extension.dir, 'metadata.toml'));
  });

  it('two saves of one file in a blink: the second is not lost (chokidar alone drops a change within 50 ms of the last)', async () => {
    extension = await createExtension('devtwice', 'first');
    const s = session(extension, { run: 'get-zones' });
    env = s.env;
    const first = s.finished();
    await env.start();
    await first;
    const entry = path.join(extension.dir, 'src', 'index.ts');
    const source = await readFile(entry, 'utf8');
    await writeFile(entry, source.replace('"first"', '"second"'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await writeFile(entry, source.replace('"first"', '"third"'));
    for (;;) {
      const done = await s.finished();
      const ran = s.events.filter((event): event is Extract<DevEvent, { type: 'ran' }> => event.type === 'ran' && event.cycle === done.cycle).at(-1);
      if (ran?.outcome?.result === 'third') break;
    }
    expect((await env.current!.sandbox.call('getZones', undefined)).result).toBe('third');
  });
});
