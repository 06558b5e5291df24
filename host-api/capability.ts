import type { PlainValue } from '../runtime/data/plain-data.js';
import type { ExtensionIdentity } from './sdk/context.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One log line from an extension, before any terminal escaping. */
export interface LogEntry {
  level: LogLevel;
  message: string;
  fields?: Record<string, PlainValue>;
  extension: string;
  /** The operation it came from; absent for output while the bundle loads. */
  operation?: string;
}

/** Where extension logs go: the CLI writes them to stderr, tests collect them. */
export interface LogSink {
  write(entry: LogEntry): void;
}

/** What a host call knows about the operation that made it. */
export interface HostCallContext {
  readonly extension: ExtensionIdentity;
  readonly operation: string | undefined;
  readonly check: boolean;
  /** Epoch milliseconds at which the operation is ended. */
  readonly deadline: number;
  /** Aborted when the operation ends or is cancelled: in-flight work must stop. */
  readonly signal: AbortSignal;
  readonly log: LogSink;
}

/**
 * A host call: receives the guest's arguments as plain data (already
 * size-checked and parsed, never trusted) and returns plain data or nothing.
 * Throwing a ProvError sends its code, message and hint to the guest.
 */
export type HostCallHandler = (args: PlainValue[], call: HostCallContext) => Promise<PlainValue | void>;

/**
 * One capability of the host API: the calls it contributes to `ctx`, keyed by
 * their dotted name in `ctx` (`log.info`, `sleep`, later `http.fetch`).
 * Adding a capability is adding one file under host-api/capabilities/ and one
 * line in its registry.
 */
export interface Capability {
  readonly name: string;
  /**
   * Always-granted capabilities (log, sleep) need no grant. Gated ones are
   * checked against the effective grant before their handler runs.
   */
  readonly alwaysGranted: boolean;
  readonly calls: Readonly<Record<string, HostCallHandler>>;
}
