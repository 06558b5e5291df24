import { runOperation, type LoadedExtension, type LogSink } from '../dist/runtime/index.js';
import { InHostBaseline } from './baselines/in-host.js';
import { interleave, series, type Series } from './harness.js';
import { ROUND_TRIP_OPERATION } from './probe-extension.js';
import { disposeSandbox, LAYERS, loadExtensionFromSubject, type Layer, type OperationCall, type Subject } from './subject.js';

/** ctx.log.debug calls per operation; a sample is the operation's time divided by this. */
export const CALLS_PER_OPERATION = 100;

export interface RoundTripFigure {
  callsPerOperation: number;
  /** Per guest→host call, ms: one operation of CALLS_PER_OPERATION awaited ctx.log.debug calls per sample, per layer. */
  prov: Record<Layer, number[]>;
  /** Baseline (2): the same operation called in the host with a fake ctx, per call, ms. */
  inHost: number[];
  /** Log entries the bench's sink received per operation, per layer (checked to be CALLS_PER_OPERATION, all debug). */
  entriesPerOperation: Record<Layer, number>;
}

/** A no-op sink that only counts: the bench checks every entry arrived (for Sandbox, over IPC) without doing work per entry. */
class CountingLog implements LogSink {
  entries = 0;
  nonDebug = 0;
  write(entry: { level: string }): void {
    this.entries++;
    if (entry.level !== 'debug') this.nonDebug++;
  }
}

/**
 * Guest→host round trip: the probe's operation awaits ctx.log.debug('x')
 * CALLS_PER_OPERATION times, so each call crosses into the host, runs the log
 * capability and settles the guest's promise. For Sandbox the host side is
 * the sandbox host process, and each entry then travels over IPC to the log
 * sink in this process; the operation's reply comes after the last entry on
 * the same channel, so every entry's delivery is inside the timed operation.
 * The operation's own fixed cost (one warm call, see the no-op row) is
 * included, spread over the calls: the figure errs on the slow side.
 */
export async function measureHostRoundTrip(probe: Subject, rounds: number): Promise<RoundTripFigure> {
  const call: OperationCall = { operation: ROUND_TRIP_OPERATION, input: { n: CALLS_PER_OPERATION } };
  const extensions = new Map<Layer, { extension: LoadedExtension; log: CountingLog }>();
  const inHost = new InHostBaseline(probe);
  try {
    const entriesPerOperation = {} as Record<Layer, number>;
    for (const layer of LAYERS) {
      const log = new CountingLog();
      const extension = await loadExtensionFromSubject(probe, layer, log);
      extensions.set(layer, { extension, log });
      // Awaiting ctx.log.debug resolves only when the host settles it, so a result of n means n round trips.
      const check = await runOperation(extension, call.operation, call.input);
      if (check.result !== CALLS_PER_OPERATION) throw new Error(`${ROUND_TRIP_OPERATION} returned ${JSON.stringify(check.result)} (${layer})`);
      if (log.nonDebug !== 0) throw new Error(`${ROUND_TRIP_OPERATION} logged ${log.nonDebug} entries above debug (${layer})`);
      entriesPerOperation[layer] = log.entries;
    }
    const provSeries = (layer: Layer): Series => {
      const { extension } = extensions.get(layer)!;
      return series(`${layer} round trip`, async () => {
        const start = performance.now();
        await runOperation(extension, call.operation, call.input);
        return (performance.now() - start) / CALLS_PER_OPERATION;
      }, { warmup: 20, perRound: 10 });
    };
    const prov = { process: provSeries('process'), isolate: provSeries('isolate') } satisfies Record<Layer, Series>;
    const baseline = series('in-host round trip', async () => {
      const start = performance.now();
      await inHost.call(call);
      return (performance.now() - start) / CALLS_PER_OPERATION;
    }, { warmup: 50, perRound: 20 });
    await interleave([prov.process, prov.isolate, baseline], rounds);
    for (const layer of LAYERS) {
      const { log } = extensions.get(layer)!;
      const operations = 1 + prov[layer].warmup + prov[layer].samples.length;
      if (log.entries !== operations * CALLS_PER_OPERATION) {
        throw new Error(`${layer}: the log sink received ${log.entries} entries for ${operations} operations of ${CALLS_PER_OPERATION}`);
      }
    }
    return {
      callsPerOperation: CALLS_PER_OPERATION,
      prov: { process: prov.process.samples, isolate: prov.isolate.samples },
      inHost: baseline.samples,
      entriesPerOperation,
    };
  } finally {
    for (const { extension } of extensions.values()) await disposeSandbox(extension.sandbox);
  }
}
