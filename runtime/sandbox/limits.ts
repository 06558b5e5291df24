import type { ManifestLimits } from '../manifest/manifest-schema.js';

/** The limits one loaded extension runs under. */
export interface ResolvedLimits {
  /** Isolate heap limit in MB (ArrayBuffers count against it). */
  memoryMb: number;
  /** Wall-clock deadline per operation. */
  timeoutMs: number;
  /** CPU time per operation, polled from the isolate. */
  cpuMs: number;
  /** Time allowed to load the bundle and run its top-level code (at most the operation deadline). */
  loadTimeoutMs: number;
  /** Largest JSON payload, in UTF-16 code units, crossing the boundary in one message. */
  maxPayloadChars: number;
  /** Host calls one operation may make; past it the operation ends with LimitExceeded. */
  maxHostCalls?: number;
  /** Bytes one operation may move through host calls (arguments, results, what http and fs read and send). */
  maxHostBytes?: number;
}

/** What an extension gets when its manifest says nothing. */
export const DEFAULT_LIMITS: ResolvedLimits = {
  memoryMb: 128,
  timeoutMs: 30_000,
  cpuMs: 30_000,
  loadTimeoutMs: 5_000,
  maxPayloadChars: 8 * 1024 * 1024,
  maxHostCalls: 100_000,
  maxHostBytes: 256 * 1024 * 1024,
};

/** The most any manifest can ask for; an operator policy may lower these (later: the policy file). */
export const LIMIT_CAPS: ResolvedLimits = {
  memoryMb: 1024,
  timeoutMs: 15 * 60_000,
  cpuMs: 15 * 60_000,
  loadTimeoutMs: 5_000,
  maxPayloadChars: 8 * 1024 * 1024,
  maxHostCalls: 1_000_000,
  maxHostBytes: 1024 * 1024 * 1024,
};

/** Manifest `[limits]` capped by the runtime's caps; CPU defaults to the wall-clock limit. */
export function resolveLimits(requested: ManifestLimits | undefined, caps: ResolvedLimits = LIMIT_CAPS): ResolvedLimits {
  const memoryMb = Math.min(requested?.memory_mb ?? DEFAULT_LIMITS.memoryMb, caps.memoryMb);
  const timeoutMs = Math.min(requested?.timeout_ms ?? DEFAULT_LIMITS.timeoutMs, caps.timeoutMs);
  const cpuMs = Math.min(requested?.cpu_ms ?? timeoutMs, timeoutMs, caps.cpuMs);
  return {
    memoryMb,
    timeoutMs,
    cpuMs,
    loadTimeoutMs: Math.min(DEFAULT_LIMITS.loadTimeoutMs, caps.loadTimeoutMs, timeoutMs),
    maxPayloadChars: Math.min(DEFAULT_LIMITS.maxPayloadChars, caps.maxPayloadChars),
    maxHostCalls: Math.min(requested?.host_calls ?? DEFAULT_LIMITS.maxHostCalls!, caps.maxHostCalls ?? Infinity),
    maxHostBytes: Math.min(requested?.host_bytes_mb === undefined ? DEFAULT_LIMITS.maxHostBytes! : requested.host_bytes_mb * 1024 * 1024, caps.maxHostBytes ?? Infinity),
  };
}
