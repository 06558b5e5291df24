import type { PlainValue } from '../runtime/data/plain-data.js';
import type { AuditRecord } from './audit/audit-record.js';
import type { EffectRecorder } from './effects/effect-recorder.js';
import type { GrantView } from './grants/grant-view.js';
import type { PermissionKey } from './grants/permission-keys.js';
import type { ExtensionIdentity } from './sdk/context.js';
import type { SecretValues } from './secrets/secret-values.js';
import type { ServerAccess } from './capabilities/servers/server-transport.js';
import type { Target } from './sdk/context.js';

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

/** Where audit records go: the audit log under $PROV_HOME, a test's collector. */
export interface AuditSink {
  write(record: AuditRecord): void;
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
  /** What the manifest asked for and what was granted (manifest ∩ operator). */
  readonly grant: GrantView;
  /** Values of the granted secrets the operator's source has. */
  readonly secrets: SecretValues;
  /** Masks those values in text (before anything cuts it, so no part of a value survives a cut). */
  readonly mask: (text: string) => string;
  /** Mutating calls report here: their plan entries (check mode) and whether they changed anything. */
  readonly effects: EffectRecorder;
  /**
   * Counts bytes a call reads or receives as they come, against the
   * operation's host-byte limit: past it this throws LimitExceeded and the
   * operation ends (so 256 calls in flight cannot pile up gigabytes first).
   */
  readonly reserve: (bytes: number) => void;
  /** The granted servers and how to reach them. */
  readonly servers: ServerAccess;
  /** The server the operation acts on (`--server`), if any. */
  readonly target: Target | null;
}

/**
 * What a gated call tells the audit log about itself, filled in as it runs:
 * the bridge adds time, duration, decision and error code.
 */
export interface CallRecord {
  /** What the call reached: a URL, a path, a secret name. */
  target?: string;
  /** The grant line that allows (or would allow) it, as `--allow-…`/[permissions] spell it. */
  permission?: { key: PermissionKey; value: string };
  /** The server the call acted on (servers, systemctl); default: the operation's target. */
  server?: string;
  /** Set by a mutating call in check mode. */
  planned?: boolean;
  changed?: boolean;
  bytesIn?: number;
  bytesOut?: number;
}

/**
 * A host call: receives the guest's arguments as plain data (already
 * size-checked and parsed, never trusted) and returns plain data or nothing.
 * Throwing a ProvError sends its code, message and hint to the guest.
 */
export type HostCallHandler = (args: PlainValue[], call: HostCallContext, record: CallRecord) => Promise<PlainValue | void>;

/**
 * How one `[permissions]` key is spelled, checked and intersected: the
 * operator's grant and the manifest's request meet pattern by pattern.
 */
export interface PermissionKind {
  readonly key: PermissionKey;
  /** The CLI flag that grants it: `--allow-http`. */
  readonly flag: string;
  /** How a denial names it: `http access to`. */
  readonly noun: string;
  /** Checks one grant entry and returns its canonical spelling; throws a message for a malformed one. */
  normalize(value: string, home: string): string;
  /** Manifest ∩ operator, pattern by pattern (both already normalised). */
  intersect(requested: readonly string[], granted: readonly string[]): string[];
}

/**
 * One capability of the host API: the calls it contributes to `ctx`, keyed by
 * their dotted name in `ctx` (`log.info`, `sleep`, `http.fetch`).
 * Adding a capability is adding one file (or folder) under
 * host-api/capabilities/ and one line in its registry.
 */
export interface Capability {
  readonly name: string;
  /**
   * Always-granted capabilities (log, sleep) need no grant and are not
   * audited. Gated ones check each call against `call.grant` themselves
   * (returning proof, such as a CheckedPath) and every call is audited.
   */
  readonly alwaysGranted: boolean;
  /** The `[permissions]` keys a gated capability reads. */
  readonly permissions?: readonly PermissionKind[];
  readonly calls: Readonly<Record<string, HostCallHandler>>;
}
