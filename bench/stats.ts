/** Order statistics over timing samples (milliseconds). */

export interface Summary {
  n: number;
  /** Median, interpolated between the two middle samples when n is even. */
  p50: number;
  /** 95th percentile, nearest rank: the smallest sample with at least 95% of samples at or below it. */
  p95: number;
  min: number;
  max: number;
  mean: number;
}

function sorted(samples: readonly number[]): number[] {
  if (samples.length === 0) throw new RangeError('no samples');
  return [...samples].sort((a, b) => a - b);
}

export function median(samples: readonly number[]): number {
  const s = sorted(samples);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile, `p` in (0, 100]. */
export function percentile(samples: readonly number[], p: number): number {
  const s = sorted(samples);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1]!;
}

export function p95(samples: readonly number[]): number {
  return percentile(samples, 95);
}

export function summarize(samples: readonly number[]): Summary {
  const s = sorted(samples);
  return {
    n: s.length,
    p50: median(s),
    p95: percentile(s, 95),
    min: s[0]!,
    max: s[s.length - 1]!,
    mean: s.reduce((sum, x) => sum + x, 0) / s.length,
  };
}

/** A duration in milliseconds, in the unit that reads best: `0.42 µs`, `37.1 µs`, `5.84 ms`, `1.20 s`. */
export function formatMs(ms: number): string {
  const us = ms * 1000;
  if (us < 10) return `${us.toFixed(2)} µs`;
  if (us < 1000) return `${us.toFixed(1)} µs`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function formatRatio(ratio: number): string {
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio.toFixed(1)}×`;
}
