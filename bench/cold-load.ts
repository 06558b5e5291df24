import ivm from 'isolated-vm';
import { MemoryCodeCache, type CodeCache } from '../dist/runtime/index.js';
import type { ProcessPerOpBaseline } from './baselines/process-per-op.js';
import { interleave, series } from './harness.js';
import { loadSandbox, type OperationCall, type Subject } from './subject.js';

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

export interface ColdLoadFigure {
  /** New isolate → first result, fresh code cache every time (prelude and bundle compiled from source). */
  uncached: number[];
  /** The same with one shared, primed MemoryCodeCache. */
  cached: number[];
  /** Sandbox.load alone, out of the `cached` samples (the rest is the first call). */
  cachedLoadOnly: number[];
  /** Baseline (1): a new node process per operation. */
  processPerOp: number[];
  /** Floor: new ivm.Isolate + createContext + dispose, nothing compiled or run. */
  bareIsolate: number[];
  /** Code cache entries kept (prelude and bundle), bytes. */
  cacheBytes: number[];
  /** Code caches V8 rejected during the timed warm-cache loads (each rejection recompiles). */
  cacheRejections: number;
  warmLoads: number;
}

export async function measureColdLoad(
  subject: Subject,
  call: OperationCall,
  processPerOp: ProcessPerOpBaseline,
  rounds: number,
): Promise<ColdLoadFigure> {
  const sharedCache = new CountingCodeCache();
  const cachedLoadOnly: number[] = [];

  const coldLoad = async (codeCache: CodeCache, loadOnly?: number[]): Promise<number> => {
    const start = performance.now();
    const sandbox = await loadSandbox(subject, codeCache);
    const loaded = performance.now();
    await sandbox.call(call.operation, call.input);
    const end = performance.now();
    sandbox.dispose();
    loadOnly?.push(loaded - start);
    return end - start;
  };

  // Prime the shared cache (untimed): the first load writes the prelude's and the bundle's caches.
  await coldLoad(sharedCache);
  const writesAfterPriming = sharedCache.writes;

  const uncached = series('cold, uncached', () => coldLoad(new MemoryCodeCache()), { warmup: 3, perRound: 5 });
  const cached = series('cold, cached', () => coldLoad(sharedCache, cachedLoadOnly), { warmup: 3, perRound: 8 });
  const processes = series('process per op', async () => (await processPerOp.run(call)).ms, { warmup: 2, perRound: 3 });
  const bare = series('bare isolate', async () => {
    const start = performance.now();
    const isolate = new ivm.Isolate({ memoryLimit: subject.limits.memoryMb });
    await isolate.createContext();
    const ms = performance.now() - start;
    isolate.dispose();
    return ms;
  }, { warmup: 3, perRound: 5 });

  await interleave([uncached, cached, processes, bare], rounds);
  // Warm-up samples of `cached` also recorded their load time: keep only the timed ones.
  const timedLoadOnly = cachedLoadOnly.slice(cachedLoadOnly.length - cached.samples.length);

  return {
    uncached: uncached.samples,
    cached: cached.samples,
    cachedLoadOnly: timedLoadOnly,
    processPerOp: processes.samples,
    bareIsolate: bare.samples,
    cacheBytes: [...sharedCache.sizes.values()],
    cacheRejections: sharedCache.writes - writesAfterPriming,
    warmLoads: cached.warmup + cached.samples.length,
  };
}
