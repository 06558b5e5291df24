import { runOperation, type LoadedExtension } from '../dist/runtime/index.js';
import { InHostBaseline } from './baselines/in-host.js';
import { interleave, series, timePerCall } from './harness.js';
import type { OperationCall, Subject } from './subject.js';
import { loadExtensionFromSubject } from './subject.js';

/** In-host calls are sub-microsecond: each baseline sample is the mean of a batch this size. */
const BASELINE_BATCH = 100;

export interface WarmCallSeries {
  call: OperationCall;
  /** One runOperation on the loaded extension per sample, ms. */
  prov: number[];
  /** Baseline (2): mean per direct in-host call, one batch per sample, ms. */
  inHost: number[];
}

/**
 * Warm operation calls through the full runtime: runOperation on an extension
 * whose isolate is already loaded (what `prov dev` and a long-lived host do
 * for every call after the first).
 */
export async function measureWarmCalls(subject: Subject, calls: readonly OperationCall[], rounds: number): Promise<WarmCallSeries[]> {
  const extension: LoadedExtension = await loadExtensionFromSubject(subject);
  const inHost = new InHostBaseline(subject);
  try {
    const pairs = calls.map((call) => ({
      call,
      prov: series(`prov ${call.operation}`, async () => {
        const start = performance.now();
        await runOperation(extension, call.operation, call.input);
        return performance.now() - start;
      }, { warmup: 300, perRound: 300 }),
      inHost: series(`in-host ${call.operation}`, () => timePerCall(BASELINE_BATCH, () => inHost.call(call)), {
        warmup: 20,
        perRound: 10,
      }),
    }));
    await interleave(pairs.flatMap((pair) => [pair.prov, pair.inHost]), rounds);
    return pairs.map((pair) => ({ call: pair.call, prov: pair.prov.samples, inHost: pair.inHost.samples }));
  } finally {
    extension.sandbox.dispose();
  }
}
