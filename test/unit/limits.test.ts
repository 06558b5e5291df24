import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, LIMIT_CAPS, resolveLimits } from '../../runtime/sandbox/limits.js';

describe('resolveLimits', () => {
  it('uses the defaults when the manifest says nothing', () => {
    expect(resolveLimits(undefined)).toEqual(DEFAULT_LIMITS);
  });

  it('takes the manifest values under the caps; CPU defaults to the wall clock', () => {
    expect(resolveLimits({ memory_mb: 64, timeout_ms: 2000 })).toMatchObject({ memoryMb: 64, timeoutMs: 2000, cpuMs: 2000, loadTimeoutMs: 2000 });
  });

  it('never goes above the caps, and CPU never above the wall clock', () => {
    const limits = resolveLimits({ memory_mb: 100_000, timeout_ms: 10 ** 9, cpu_ms: 10 ** 10 });
    expect(limits.memoryMb).toBe(LIMIT_CAPS.memoryMb);
    expect(limits.timeoutMs).toBe(LIMIT_CAPS.timeoutMs);
    expect(limits.cpuMs).toBe(LIMIT_CAPS.timeoutMs);
    expect(resolveLimits({ timeout_ms: 500, cpu_ms: 9000 }).cpuMs).toBe(500);
  });

  it('applies lower caps (an operator policy)', () => {
    expect(resolveLimits({ memory_mb: 256 }, { ...LIMIT_CAPS, memoryMb: 32 }).memoryMb).toBe(32);
  });
});
