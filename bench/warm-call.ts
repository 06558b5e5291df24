import { runOperation, type LoadedExtension } from '../dist/runtime/index.js';
import { InHostBaseline } from './baselines/in-host.js';
import { interleave, series, timePerCall, type Series } from './harness.js';
import type { Layer, OperationCall, Subject } from './subject.js';
import { disposeSandbox, LAYERS, loadExtensionFromSubject } from './subject.js';

/** In-host calls are sub-microsecond: each baseline sample is the mean of a batch this size. */
const BASELINE_BATCH = 100;

export interface WarmCallSeries {
  call: OperationCall;
  /** One runOperation on the loaded extension per sample, ms, for each layer. */
  prov: Record<Layer, number[]>;
  /** Baseline (2): mean per direct in-host call, one batch per sample, ms. */
  inHost: number[];
}

/**
 * Warm operation calls through the full runtime: runOperation on an extension
 * whose isolate is already loaded (what `prov dev` and a long-lived host do
 * for every call after the first), on both layers, interleaved with the
 * in-host baseline and with any `extra` series (decompositions).
 */
export async function measureWarmCalls(
  subject: Subject,
  calls: readonly OperationCall[],
  rounds: number,
  extra: readonly Series[] = [],
): Promise<WarmCallSeries[]> {
  const extensions = new Map<Layer, LoadedExtension>();
  const inHost = new InHostBaseline(subject);
  try {
    for (const layer of LAYERS) extensions.set(layer, await loadExtensionFromSubject(subject, layer));
    const provSeries = (layer: Layer, call: OperationCall) => {
      const extension = extensions.get(layer)!;
      return series(`${layer} ${call.operation}`, async () => {
        const start = performance.now();
        await runOperation(extension, call.operation, call.input);
        return performance.now() - start;
      }, { warmup: 300, perRound: 200 });
    };
    const groups = calls.map((call) => ({
      call,
      prov: { process: provSeries('process', call), isolate: provSeries('isolate', call) } satisfies Record<Layer, Series>,
      inHost: series(`in-host ${call.operation}`, () => timePerCall(BASELINE_BATCH, () => inHost.call(call)), {
        warmup: 20,
        perRound: 10,
      }),
    }));
    await interleave([...groups.flatMap((group) => [group.prov.process, group.prov.isolate, group.inHost]), ...extra], rounds);
    return groups.map((group) => ({
      call: group.call,
      prov: { process: group.prov.process.samples, isolate: group.prov.isolate.samples },
      inHost: group.inHost.samples,
    }));
  } finally {
    for (const extension of extensions.values()) await disposeSandbox(extension.sandbox);
  }
}
