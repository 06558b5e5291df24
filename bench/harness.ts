/**
 * Sampling helpers. The machine is shared and noisy, so a figure and its
 * baseline are sampled in interleaved rounds (A, B, A, B, …) rather than one
 * after the other: a burst of background load then hits both sides alike.
 */

/** One thing being measured: `sample()` does one unit of work and returns its duration in ms. */
export interface Series {
  readonly label: string;
  sample(): Promise<number>;
  /** Untimed samples before the first round (JIT, caches, lazy initialisation). */
  readonly warmup: number;
  /** Timed samples taken in each round. */
  readonly perRound: number;
  readonly samples: number[];
}

export function series(label: string, sample: () => Promise<number>, options: { warmup: number; perRound: number }): Series {
  return { label, sample, warmup: options.warmup, perRound: options.perRound, samples: [] };
}

/** Collects garbage between rounds (the bench runs with --expose-gc), never inside a timed region. */
export function collectGarbage(): void {
  globalThis.gc?.();
}

/** Warms every series up, then takes `rounds` rounds of `perRound` samples from each in turn. */
export async function interleave(all: readonly Series[], rounds: number): Promise<void> {
  for (const s of all) {
    for (let i = 0; i < s.warmup; i++) await s.sample();
  }
  for (let round = 0; round < rounds; round++) {
    collectGarbage();
    // Alternate the order so neither side always runs right after a GC.
    const order = round % 2 === 0 ? all : [...all].reverse();
    for (const s of order) {
      for (let i = 0; i < s.perRound; i++) s.samples.push(await s.sample());
    }
  }
}

/** Times `calls` sequential awaits of `fn` and returns the mean per call in ms (for sub-microsecond work). */
export async function timePerCall(calls: number, fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < calls; i++) await fn();
  return (performance.now() - start) / calls;
}
