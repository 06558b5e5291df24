import { runOperation } from '../dist/runtime/index.js';
import { InHostBaseline } from './baselines/in-host.js';
import { interleave, series } from './harness.js';
import { ROUND_TRIP_OPERATION } from './probe-extension.js';
import { loadExtensionFromSubject, type OperationCall, type Subject } from './subject.js';

/** ctx.log.debug calls per operation; a sample is the operation's time divided by this. */
export const CALLS_PER_OPERATION = 100;

export interface RoundTripFigure {
  callsPerOperation: number;
  /** Per guest→host call, ms: one operation of CALLS_PER_OPERATION awaited ctx.log.debug calls per sample. */
  prov: number[];
  /** Baseline (2): the same operation called in the host with a fake ctx, per call, ms. */
  inHost: number[];
}

/**
 * Guest→host round trip: the probe's operation awaits ctx.log.debug('x')
 * CALLS_PER_OPERATION times against a no-op LogSink, so each call crosses
 * into the host, runs the log capability and settles the guest's promise.
 * The operation's own fixed cost (one warm call, see the no-op row) is
 * included, spread over the calls: the figure errs on the slow side.
 */
export async function measureHostRoundTrip(probe: Subject, rounds: number): Promise<RoundTripFigure> {
  const call: OperationCall = { operation: ROUND_TRIP_OPERATION, input: { n: CALLS_PER_OPERATION } };
  const extension = await loadExtensionFromSubject(probe);
  const inHost = new InHostBaseline(probe);
  try {
    // Awaiting ctx.log.debug resolves only when the host settles it, so a result of n means n round trips.
    const check = await runOperation(extension, call.operation, call.input);
    if (check.result !== CALLS_PER_OPERATION) throw new Error(`${ROUND_TRIP_OPERATION} returned ${JSON.stringify(check.result)}`);
    const prov = series('prov round trip', async () => {
      const start = performance.now();
      await runOperation(extension, call.operation, call.input);
      return (performance.now() - start) / CALLS_PER_OPERATION;
    }, { warmup: 20, perRound: 10 });
    const baseline = series('in-host round trip', async () => {
      const start = performance.now();
      await inHost.call(call);
      return (performance.now() - start) / CALLS_PER_OPERATION;
    }, { warmup: 50, perRound: 20 });
    await interleave([prov, baseline], rounds);
    return { callsPerOperation: CALLS_PER_OPERATION, prov: prov.samples, inHost: baseline.samples };
  } finally {
    extension.sandbox.dispose();
  }
}
