import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExtension, MemoryCodeCache, ProvError, runOperation } from '../../runtime/index.js';
import { CollectingLogSink } from '../helpers/collecting-log-sink.js';
import { runProv } from '../helpers/run-cli.js';
import { createTempExtension, providerSource } from '../helpers/temp-extension.js';

async function loadError(source: string, manifestExtra = ''): Promise<ProvError> {
  const ext = await createTempExtension({ source, manifestExtra });
  try {
    const error = await loadExtension(ext.dir, { log: new CollectingLogSink(), codeCache: new MemoryCodeCache() }).then(
      (loaded) => {
        loaded.sandbox.dispose();
        throw new Error('expected the load to fail');
      },
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ProvError);
    return error as ProvError;
  } finally {
    await ext.cleanup();
  }
}

describe('loading an extension', () => {
  it('top-level code that throws: InvalidExtension with the TypeScript position', async () => {
    const error = await loadError(providerSource({}, `const table: Record<string, string> = {};\nif (!table.ready) throw new Error('catalogue missing');`));
    expect(error.code).toBe('InvalidExtension');
    expect(error.message).toBe('test-ext failed while loading: catalogue missing');
    expect(error.details?.['stack']).toMatch(/src\/index\.ts:4:\d+/);
  });

  it('top-level code that never ends: LimitExceeded while loading', async () => {
    const error = await loadError(providerSource({}, 'for (;;) {}'), '[limits]\ntimeout_ms = 800\n');
    expect(error.code).toBe('LimitExceeded');
    expect(error.message).toBe('test-ext exceeded its time limit of 800 ms while loading; its isolate was ended');
  });

  it('an operation that is not a function: InvalidExtension naming it', async () => {
    const error = await loadError(providerSource({ getPlans: 'getPlans: 42' }));
    expect(error).toMatchObject({ code: 'InvalidExtension', message: 'test-ext: operation "getPlans" is a number, not a function or { run }' });
  });

  it('logs from top-level code reach the host, without an operation', async () => {
    const ext = await createTempExtension({ source: providerSource({}, `console.info('loading catalogue');`) });
    const log = new CollectingLogSink();
    try {
      const loaded = await loadExtension(ext.dir, { log });
      loaded.sandbox.dispose();
      await new Promise((resolve) => setTimeout(resolve, 50)); // the log call is asynchronous
      expect(log.entries).toEqual([{ level: 'info', message: 'loading catalogue', extension: 'test-ext' }]);
    } finally {
      await ext.cleanup();
    }
  });

  it('keeps V8 code caches under $PROV_HOME/cache/code and uses them on the next run', async () => {
    const ext = await createTempExtension({ source: providerSource({ getZones: 'async getZones() { return ["z"]; }' }) });
    const home = path.join(ext.dir, '..', 'home');
    try {
      const first = await runProv(['run', ext.dir, 'get-zones', '--json'], { env: { PROV_HOME: home } });
      expect(first.json).toEqual({ ok: true, result: ['z'], changed: false });
      const files = await readdir(path.join(home, 'cache', 'code'));
      expect(files.filter((file) => file.endsWith('.v8cache'))).toHaveLength(2); // the prelude and the bundle
      const written = await Promise.all(files.map((file) => stat(path.join(home, 'cache', 'code', file))));
      const second = await runProv(['run', ext.dir, 'get-zones', '--json'], { env: { PROV_HOME: home } });
      expect(second.json).toEqual(first.json);
      expect(await readdir(path.join(home, 'cache', 'code'))).toEqual(files);
      // V8 accepted the caches: a rejected one would have been written again
      const after = await Promise.all(files.map((file) => stat(path.join(home, 'cache', 'code', file))));
      expect(after.map((entry) => entry.mtimeMs)).toEqual(written.map((entry) => entry.mtimeMs));
    } finally {
      await ext.cleanup();
    }
  });

  it('answers info without a bundle reload and keeps operations working after it', async () => {
    const ext = await createTempExtension({ source: providerSource({ getZones: 'async getZones() { return ["z"]; }' }) });
    const loaded = await loadExtension(ext.dir, { log: new CollectingLogSink() });
    try {
      const info = (await runOperation(loaded, 'info', undefined)).result as { operations: { name: string }[] };
      expect(info.operations.map((op) => op.name)).toContain('get-zones');
      expect((await runOperation(loaded, 'getZones', undefined)).result).toEqual(['z']);
    } finally {
      loaded.sandbox.dispose();
      await ext.cleanup();
    }
  });
});
