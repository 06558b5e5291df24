import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import ivm from 'isolated-vm';
import { MemoryCodeCache, type CodeCache, type ExtensionSandbox, type Sandbox, type SandboxHost } from '../dist/runtime/index.js';
import type { ProcessPerOpBaseline } from './baselines/process-per-op.js';
import { interleave, series, type Series } from './harness.js';
import {
  disposeSandbox,
  loadIsolateSandbox,
  loadProcessSandbox,
  spawnReadyHost,
  tempCacheDir,
  waitForExit,
  type OperationCall,
  type Subject,
} from './subject.js';

/** A MemoryCodeCache that counts what the sandbox does with it. */
class CountingCodeCache implements CodeCache {
  readonly #inner = new MemoryCodeCache();
  hits = 0;
  misses = 0;
  /** Entries written: first compile, or V8 rejected the cache it was given. */
  writes = 0;
  readonly sizes = new Map<string, number>();

  async get(key: string): Promise<Uint8Array | undefined> {
    const data = await this.#inner.get(key);
    if (data === undefined) this.misses++;
    else this.hits++;
    return data;
  }

  async set(key: string, data: Uint8Array): Promise<void> {
    this.writes++;
    this.sizes.set(key, data.byteLength);
    await this.#inner.set(key, data);
  }
}

/** One cold-load series: total (load + first call) and, separately, the load alone. */
export interface ColdSamples {
  total: number[];
  loadOnly: number[];
}

export interface ColdLoadFigure {
  isolate: {
    /** New isolate → first result, new MemoryCodeCache every time (prelude and bundle compiled from source). */
    uncached: ColdSamples;
    /** The same with one shared, primed MemoryCodeCache. */
    cached: ColdSamples;
    /** Code cache entries kept (prelude and bundle), bytes. */
    cacheBytes: number[];
    /** Code caches V8 rejected during the timed warm-cache loads (each rejection recompiles). */
    cacheRejections: number;
    warmLoads: number;
  };
  process: {
    /** Sandbox.load({host}) + first call into a freshly spawned, ready host; a new empty codeCacheDir each time. */
    uncached: ColdSamples;
    /** The same with one shared, primed codeCacheDir (the host reads the cache files). */
    cached: ColdSamples;
    /** Sandbox.load without a host (spawns one) + first call: fully cold; new empty codeCacheDir each time. */
    spawnUncached: number[];
    /** The same with the shared, primed codeCacheDir. */
    spawnCached: number[];
    /** Decomposition, not a path prov takes: warm-cache loads into one long-lived host (its JS already JIT-warm). */
    reusedHostCached: number[];
    /** Spawn → the host answers its first message (pre-spawns of the in-host series; untimed there). */
    hostReady: number[];
    /** Files in the shared codeCacheDir and their sizes, bytes. */
    cacheFiles: number[];
    /** Cache files rewritten (V8 rejected them) after priming, out of cacheFiles. */
    cacheFilesRewritten: number;
  };
  /** Baseline (1): a new node process per operation. */
  processPerOp: number[];
  /** Floor: new ivm.Isolate + createContext + dispose, nothing compiled or run. */
  bareIsolate: number[];
}

/** Keeps only the last `n` entries (the timed samples, after the series' warm-up). */
function timed(all: number[], s: Series): number[] {
  return all.slice(all.length - s.samples.length);
}

export async function measureColdLoad(
  subject: Subject,
  call: OperationCall,
  processPerOp: ProcessPerOpBaseline,
  rounds: number,
): Promise<ColdLoadFigure> {
  const cleanups: (() => Promise<void>)[] = [];
  const reused: Sandbox[] = [];
  let reusedHost: SandboxHost | undefined;
  try {
    /** Times load + first call; `loadOnly` gets the load alone; disposal (and a host's exit) is untimed. */
    const coldLoad = async (load: () => Promise<ExtensionSandbox>, loadOnly: number[]): Promise<number> => {
      const start = performance.now();
      const sandbox = await load();
      const loaded = performance.now();
      try {
        await sandbox.call(call.operation, call.input);
      } catch (error) {
        await disposeSandbox(sandbox);
        throw error;
      }
      const end = performance.now();
      await disposeSandbox(sandbox);
      loadOnly.push(loaded - start);
      return end - start;
    };

    // ---------------------------------------------------------------- IsolateSandbox

    const sharedCache = new CountingCodeCache();
    await coldLoad(() => loadIsolateSandbox(subject, sharedCache), []); // primes prelude + bundle (untimed)
    const writesAfterPriming = sharedCache.writes;
    const isoUncachedLoad: number[] = [];
    const isoCachedLoad: number[] = [];
    const isoUncached = series('IsolateSandbox cold, uncached', () => coldLoad(() => loadIsolateSandbox(subject, new MemoryCodeCache()), isoUncachedLoad), {
      warmup: 3,
      perRound: 5,
    });
    const isoCached = series('IsolateSandbox cold, cached', () => coldLoad(() => loadIsolateSandbox(subject, sharedCache), isoCachedLoad), {
      warmup: 3,
      perRound: 8,
    });

    // ---------------------------------------------------------------- Sandbox

    const shared = await tempCacheDir();
    cleanups.push(shared.cleanup);
    await coldLoad(() => loadProcessSandbox(subject, { codeCacheDir: shared.dir }), []); // primes the files (untimed)
    const cacheFilesBefore = await listCacheFiles(shared.dir);

    const hostReady: number[] = [];
    /** New isolate → first result in an already-running host: spawning and waiting for the host is not timed. */
    const inRunningHost = async (codeCacheDir: string | undefined, loadOnly: number[]): Promise<number> => {
      const { host, readyMs } = await spawnReadyHost();
      hostReady.push(readyMs);
      try {
        return await coldLoad(() => loadProcessSandbox(subject, { host, ...(codeCacheDir === undefined ? {} : { codeCacheDir }) }), loadOnly);
      } finally {
        host.kill(); // already ended by dispose, unless the load failed
        await waitForExit(host);
      }
    };
    const withFreshDir = async <T>(fn: (dir: string) => Promise<T>): Promise<T> => {
      const fresh = await tempCacheDir();
      try {
        return await fn(fresh.dir);
      } finally {
        await fresh.cleanup();
      }
    };

    const procUncachedLoad: number[] = [];
    const procCachedLoad: number[] = [];
    const procUncached = series('Sandbox cold in a running host, uncached', () => withFreshDir((dir) => inRunningHost(dir, procUncachedLoad)), {
      warmup: 2,
      perRound: 1,
    });
    const procCached = series('Sandbox cold in a running host, cached', () => inRunningHost(shared.dir, procCachedLoad), { warmup: 2, perRound: 1 });
    const spawnUncached = series('Sandbox spawn + load, uncached', () => withFreshDir((dir) => coldLoad(() => loadProcessSandbox(subject, { codeCacheDir: dir }), [])), {
      warmup: 1,
      perRound: 1,
    });
    const spawnCached = series('Sandbox spawn + load, cached', () => coldLoad(() => loadProcessSandbox(subject, { codeCacheDir: shared.dir }), []), {
      warmup: 1,
      perRound: 1,
    });

    // Decomposition: the same load into one long-lived host. Sandbox.dispose would end that host, so these
    // sandboxes are kept (each load replaces the previous isolate in the host) and disposed at the end.
    reusedHost = (await spawnReadyHost()).host;
    const reusedTotal = series('Sandbox cold in a reused host, cached', async () => {
      const start = performance.now();
      const sandbox = await loadProcessSandbox(subject, { host: reusedHost!, codeCacheDir: shared.dir });
      reused.push(sandbox);
      await sandbox.call(call.operation, call.input);
      return performance.now() - start;
    }, { warmup: 5, perRound: 3 });

    // ---------------------------------------------------------------- baselines

    const processes = series('process per op', async () => (await processPerOp.run(call)).ms, { warmup: 2, perRound: 3 });
    const bare = series('bare isolate', async () => {
      const start = performance.now();
      const isolate = new ivm.Isolate({ memoryLimit: subject.limits.memoryMb });
      await isolate.createContext();
      const ms = performance.now() - start;
      isolate.dispose();
      return ms;
    }, { warmup: 3, perRound: 5 });

    await interleave([isoUncached, isoCached, procUncached, procCached, spawnUncached, spawnCached, reusedTotal, processes, bare], rounds);

    const cacheFilesAfter = await listCacheFiles(shared.dir);
    return {
      isolate: {
        uncached: { total: isoUncached.samples, loadOnly: timed(isoUncachedLoad, isoUncached) },
        cached: { total: isoCached.samples, loadOnly: timed(isoCachedLoad, isoCached) },
        cacheBytes: [...sharedCache.sizes.values()],
        cacheRejections: sharedCache.writes - writesAfterPriming,
        warmLoads: isoCached.warmup + isoCached.samples.length,
      },
      process: {
        uncached: { total: procUncached.samples, loadOnly: timed(procUncachedLoad, procUncached) },
        cached: { total: procCached.samples, loadOnly: timed(procCachedLoad, procCached) },
        spawnUncached: spawnUncached.samples,
        spawnCached: spawnCached.samples,
        reusedHostCached: reusedTotal.samples,
        hostReady,
        cacheFiles: [...cacheFilesAfter.values()].map((file) => file.size),
        cacheFilesRewritten: [...cacheFilesAfter].filter(([name, file]) => cacheFilesBefore.get(name)?.mtimeMs !== file.mtimeMs).length,
      },
      processPerOp: processes.samples,
      bareIsolate: bare.samples,
    };
  } finally {
    for (const sandbox of reused) await disposeSandbox(sandbox); // the first ends the shared host; the rest find it gone
    if (reusedHost !== undefined) {
      reusedHost.kill();
      await waitForExit(reusedHost);
    }
    for (const cleanup of cleanups) await cleanup();
  }
}

async function listCacheFiles(dir: string): Promise<Map<string, { size: number; mtimeMs: number }>> {
  const files = new Map<string, { size: number; mtimeMs: number }>();
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.v8cache')) continue;
    const info = await stat(path.join(dir, name));
    files.set(name, { size: info.size, mtimeMs: info.mtimeMs });
  }
  return files;
}
