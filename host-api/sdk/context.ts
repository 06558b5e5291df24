/**
 * `ctx`: the only way an operation reaches anything outside its sandbox.
 * `log`, `sleep`, `check`, `deadline`, `signal`, `extension` and `target` are
 * always granted; `http`, `fs`, `secrets`, `servers` and `systemctl` are
 * always there, and each call is checked against the effective grant
 * (manifest ∩ operator) and audited.
 */
import type { FileSystem } from './fs.js';
import type { HttpClient } from './http.js';
import type { Secrets } from './secrets.js';
import type { Servers } from './servers.js';
import type { Systemctl } from './systemctl.js';

/** Structured fields attached to a log line; plain JSON data. */
export type LogFields = Record<string, unknown>;

/**
 * Logging to the operator's terminal (stderr) and the audit trail.
 * Control characters are escaped by the host; secret values are masked.
 *
 * @example
 * await ctx.log.info('creating server', { hostname: input.hostname });
 */
export interface Logger {
  debug(message: string, fields?: LogFields): Promise<void>;
  info(message: string, fields?: LogFields): Promise<void>;
  warn(message: string, fields?: LogFields): Promise<void>;
  error(message: string, fields?: LogFields): Promise<void>;
}

/** The extension's own identity from metadata.toml; a frozen copy. */
export interface ExtensionIdentity {
  readonly name: string;
  readonly type: 'provider' | 'taskserv' | 'cluster';
  readonly version: string;
  readonly description?: string;
}

/** The server an operation acts on (`prov run … --server S`), if any. */
export interface Target {
  readonly name: string;
}

/**
 * Aborted when the host ends the operation early (the operator pressed
 * Ctrl-C, the dev loop started a newer cycle). Past `ctx.deadline` the
 * isolate is simply ended, so long loops should check `ctx.signal.aborted`
 * or `Date.now() < ctx.deadline`.
 */
export interface OperationSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  /** Throws the abort reason if aborted. */
  throwIfAborted(): void;
  /** Calls `listener` once, when the operation is aborted. */
  onAbort(listener: (reason: unknown) => void): void;
}

/**
 * The host API an operation receives as its second argument.
 *
 * @example
 * export default defineTaskserv({
 *   async status(_input, ctx) {
 *     await ctx.log.info(`checking ${ctx.extension.name} on ${ctx.target?.name ?? 'no target'}`);
 *     if (ctx.check) return { state: 'unknown' };
 *     await ctx.sleep(100);
 *     return { state: 'running' };
 *   },
 *   // …the other taskserv operations
 * });
 */
export interface ProvContext {
  readonly log: Logger;
  /** Resolves after `ms` milliseconds (never past the deadline); rejects if the operation is aborted. */
  sleep(ms: number): Promise<void>;
  /** True under `--check`: the host performs no mutating call, whatever the extension does. */
  readonly check: boolean;
  /** Epoch milliseconds at which the operation is ended with LimitExceeded. */
  readonly deadline: number;
  readonly signal: OperationSignal;
  readonly extension: ExtensionIdentity;
  readonly target: Target | null;
  /** HTTP(S) to the hosts in `[permissions] http`. */
  readonly http: HttpClient;
  /** Files under `[permissions] fs_read` / `fs_write`. */
  readonly fs: FileSystem;
  /** Secret values for `[permissions] secrets_read`. */
  readonly secrets: Secrets;
  /** The inventory, and programs and files on the servers in `[permissions] servers`. */
  readonly servers: Servers;
  /** systemd units in `[permissions] systemctl`, on `ctx.target` or a given server. */
  readonly systemctl: Systemctl;
}
