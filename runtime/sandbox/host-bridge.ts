import type { AuditRecord } from '../../host-api/audit/audit-record.js';
import type { AuditSink, CallRecord, Capability, HostCallContext, HostCallHandler, LogSink } from '../../host-api/capability.js';
import { EffectRecorder } from '../../host-api/effects/effect-recorder.js';
import { emptyGrant, type GrantView } from '../../host-api/grants/grant-view.js';
import type { ExtensionIdentity, Target } from '../../host-api/sdk/context.js';
import { SecretMasker } from '../../host-api/secrets/secret-masker.js';
import { NO_SERVERS, type ServerAccess } from '../../host-api/capabilities/servers/server-transport.js';
import { NO_SECRETS, type SecretValues } from '../../host-api/secrets/secret-values.js';
import { parsePlainJson, type PlainValue } from '../data/plain-data.js';
import { ProvError } from '../errors/index.js';

/** Sends a host call's outcome back into the guest (`__prov_settle`). */
export type Settle = (seq: number, ok: boolean, payloadJson: string) => void;

/** One operation's window for host calls: open while it runs, closed for good after. */
export interface CallScope {
  readonly context: HostCallContext;
  /** Aborts the signal of in-flight and later calls (they settle with Cancelled); the guest can still log. */
  cancel(): void;
  /** Ends the window: calls arriving later are dropped without running, nothing more is settled. */
  close(): void;
  /** The errors the host gave this operation's calls (an uncaught one keeps its code and exit code). */
  readonly errors: readonly ProvError[];
  /** What the operation's mutating calls did (or, in check mode, planned). */
  readonly effects: EffectRecorder;
}

interface OpenScope {
  context: HostCallContext;
  abort(reason: ProvError): void;
  closed: boolean;
  errors: ProvError[];
  /** Host calls of this operation still running, and the size of their arguments. */
  inFlight: number;
  inFlightChars: number;
  /** Host calls made and bytes moved so far (arguments, results, and what gated calls read and sent). */
  calls: number;
  bytes: number;
  target: Target | null;
  breached: boolean;
  /** Audit records written for this operation; past MAX_AUDIT_RECORDS, calls are counted instead. */
  audited: number;
  unaudited: Map<string, { capability: string; call: string; decision: AuditRecord['decision']; count: number }>;
}

/** At most this many host calls of one operation run at once… */
export const MAX_CALLS_IN_FLIGHT = 256;
/** …and their arguments add up to at most this many characters (the guest's heap limit does not cover the host's copies). */
export const MAX_CHARS_IN_FLIGHT = 32 * 1024 * 1024;

/** Host calls one crossing from the guest may carry (the prelude's batch size). */
export const MAX_BATCH_CALLS = 256;

/** Audit records one operation writes one by one; calls past it are counted in summary records. */
export const MAX_AUDIT_RECORDS = 10_000;
/** Longest target or grant value an audit record keeps. */
const MAX_AUDIT_TEXT = 1024;

function clip(text: string): string {
  return text.length > MAX_AUDIT_TEXT ? `${text.slice(0, MAX_AUDIT_TEXT)}… [${text.length} characters]` : text;
}

/** Default caps on one operation's host calls (ResolvedLimits may lower them). */
export const MAX_HOST_CALLS = 100_000;
export const MAX_HOST_BYTES = 256 * 1024 * 1024;

export interface HostBridgeOptions {
  capabilities: Readonly<Record<string, Capability>>;
  identity: ExtensionIdentity;
  log: LogSink;
  maxPayloadChars: number;
  /** Host calls one operation may make, and bytes it may move through them; past either the operation ends. */
  maxHostCalls?: number;
  maxHostBytes?: number;
  /** The effective grant; default: nothing granted. */
  grant?: GrantView;
  secrets?: SecretValues;
  /** The granted servers and their transports; default: none. */
  servers?: ServerAccess;
  /** Every gated call is written here; default: nowhere (tests of the bridge alone). */
  audit?: AuditSink;
  /** Called once when an operation exceeds a host-call limit: the sandbox ends the operation. */
  onLimit?: (callId: number, error: ProvError) => void;
}

// Abort reasons, made once: an operation's end is on the hot path.
const CANCELLED = new ProvError('Cancelled', 'The operation was cancelled');
const ENDED = new ProvError('Cancelled', 'The operation ended');

/**
 * The host side of every guest→host call. The guest invokes `receive`
 * (an ignored ivm.Callback: it never blocks the isolate); the host runs the
 * capability's handler and settles the guest's promise by calling back in.
 * Calls for an operation that has ended are dropped without running.
 */
export class HostBridge {
  readonly #handlers = new Map<string, HostCallHandler>();
  readonly #scopes = new Map<number, OpenScope>();
  /** Gated call name → its capability: these are audited (and check their grant themselves). */
  readonly #gated = new Map<string, string>();
  readonly #options: HostBridgeOptions;
  readonly #mask: (text: string) => string;
  #settle: Settle | undefined;

  constructor(options: HostBridgeOptions) {
    this.#options = options;
    const masker = new SecretMasker((options.secrets ?? NO_SECRETS).values());
    this.#mask = (text) => masker.mask(text);
    for (const capability of Object.values(options.capabilities)) {
      // Deny by default: a gated capability with no [permissions] key to check its calls against is not offered.
      if (!capability.alwaysGranted && (capability.permissions?.length ?? 0) === 0) continue;
      for (const [name, handler] of Object.entries(capability.calls)) {
        this.#handlers.set(name, handler);
        if (!capability.alwaysGranted) this.#gated.set(name, capability.name);
      }
    }
  }

  /** The dotted names the guest builds `ctx` from. */
  get callNames(): string[] {
    return [...this.#handlers.keys()];
  }

  /** Connects the bridge to a (new) isolate. */
  attach(settle: Settle): void {
    this.#settle = settle;
  }

  open(callId: number, details: { operation: string | undefined; check: boolean; deadline: number; target?: Target | null }): CallScope {
    // The AbortController is made on first use: most operations never hand a signal to a host call.
    let controller: AbortController | undefined;
    let reason: ProvError | undefined;
    const abort = (why: ProvError) => {
      reason ??= why;
      controller?.abort(reason);
    };
    let scope: OpenScope | undefined;
    const reserve = (bytes: number): void => {
      if (scope === undefined) return;
      scope.bytes += bytes;
      this.#checkLimits(callId, scope, 'reserve', false);
    };
    const context: HostCallContext = {
      extension: this.#options.identity,
      operation: details.operation,
      check: details.check,
      deadline: details.deadline,
      get signal() {
        if (controller === undefined) {
          controller = new AbortController();
          if (reason !== undefined) controller.abort(reason);
        }
        return controller.signal;
      },
      log: this.#options.log,
      grant: this.#options.grant ?? emptyGrant(),
      secrets: this.#options.secrets ?? NO_SECRETS,
      mask: this.#mask,
      effects: new EffectRecorder(),
      reserve,
      servers: this.#options.servers ?? NO_SERVERS,
      target: details.target ?? null,
    };
    scope = {
      context, abort, closed: false, errors: [], inFlight: 0, inFlightChars: 0, calls: 0, bytes: 0,
      target: details.target ?? null, breached: false, audited: 0, unaudited: new Map(),
    };
    const opened = scope;
    this.#scopes.set(callId, opened);
    return {
      context,
      errors: opened.errors,
      effects: context.effects,
      cancel: () => abort(CANCELLED),
      close: () => {
        opened.closed = true;
        this.#scopes.delete(callId);
        abort(ENDED);
        this.#auditSummary(opened);
      },
    };
  }

  /** Closes every open scope (the isolate is going away). */
  closeAll(): void {
    for (const [callId, scope] of this.#scopes) {
      scope.closed = true;
      this.#scopes.delete(callId);
      scope.abort(ENDED);
    }
  }

  /**
   * Entry point of the guest's `__prov_send`: flat (callId, seq, name,
   * argsJson) quadruples, one or a batch. Arguments come straight from the
   * guest: check everything.
   */
  readonly receive = (...flat: unknown[]): void => {
    // The prelude sends at most 256 calls per crossing; anything past that is not a call prov runs.
    const end = Math.min(flat.length, MAX_BATCH_CALLS * 4);
    for (let index = 0; index + 4 <= end; index += 4) {
      const callId = flat[index];
      const seq = flat[index + 1];
      const name = flat[index + 2];
      if (typeof callId !== 'number' || typeof seq !== 'number' || typeof name !== 'string') continue;
      const scope = this.#scopes.get(callId);
      if (scope === undefined) continue;
      void this.#run(callId, scope, seq, name, flat[index + 3]);
    }
  };

  async #run(callId: number, scope: OpenScope, seq: number, name: string, argsJson: unknown): Promise<void> {
    const { context } = scope;
    const chars = typeof argsJson === 'string' ? argsJson.length : 0;
    const capability = this.#gated.get(name);
    const record: CallRecord = {};
    const started = capability === undefined ? 0 : performance.now();
    const time = capability === undefined ? '' : new Date().toISOString();
    let ok = true;
    let payload = '';
    let failure: ProvError | undefined;
    scope.inFlight += 1;
    scope.inFlightChars += chars;
    scope.calls += 1;
    scope.bytes += chars;
    try {
      this.#checkLimits(callId, scope, name);
      const handler = this.#handlers.get(name);
      if (handler === undefined) throw new ProvError('PermissionDenied', `ctx.${name} is not a host call prov offers`);
      const args = this.#parseArgs(name, argsJson);
      const result = await handler(args, context, record);
      payload = result === undefined ? '' : JSON.stringify(result);
      scope.bytes += payload.length + (record.bytesOut ?? 0);
      this.#checkLimits(callId, scope, name, false);
    } catch (error) {
      ok = false;
      failure = error instanceof ProvError ? error : new ProvError('Internal', `ctx.${name} failed inside prov`, { cause: error });
      // Messages are built from what the extension sent, never from filled-in secrets; masked all the same,
      // and kept masked, so an uncaught one is recognised as the host's when the guest throws it back.
      const message = this.#mask(failure.message);
      const hint = failure.hint === undefined ? undefined : this.#mask(failure.hint);
      if (message !== failure.message || hint !== failure.hint) {
        failure = new ProvError(failure.code, message, { ...(hint === undefined ? {} : { hint }), ...(failure.details === undefined ? {} : { details: failure.details }) });
      }
      if (failure.isUserError && scope.errors.length < 1000) scope.errors.push(failure);
      const reason = failure.details?.['reason'];
      payload = JSON.stringify({
        code: failure.code,
        message: failure.message,
        ...(failure.hint ? { hint: failure.hint } : {}),
        ...(typeof reason === 'string' ? { reason } : {}),
      });
    } finally {
      scope.inFlight -= 1;
      scope.inFlightChars -= chars;
    }
    if (capability !== undefined) this.#audit(capability, name, scope, record, time, started, failure);
    if (scope.closed) return; // the operation is over: nobody is waiting
    this.#settle?.(seq, ok, payload);
  }

  /** Past a host-call limit the call fails and the whole operation ends (once), with LimitExceeded. */
  #checkLimits(callId: number, scope: OpenScope, name: string, arriving = true): void {
    const maxCalls = this.#options.maxHostCalls ?? MAX_HOST_CALLS;
    const maxBytes = this.#options.maxHostBytes ?? MAX_HOST_BYTES;
    let error: ProvError | undefined;
    if (arriving && (scope.inFlight > MAX_CALLS_IN_FLIGHT || scope.inFlightChars > MAX_CHARS_IN_FLIGHT)) {
      error = new ProvError('LimitExceeded', `ctx.${name}: too many host calls in flight (at most ${MAX_CALLS_IN_FLIGHT}, ${MAX_CHARS_IN_FLIGHT} characters of arguments); await them`, {
        details: { limit: 'host_calls_in_flight', max: MAX_CALLS_IN_FLIGHT },
      });
    } else if (scope.calls > maxCalls) {
      error = new ProvError('LimitExceeded', `ctx.${name}: more than ${maxCalls} host calls in one operation`, { details: { limit: 'host_calls', max: maxCalls } });
    } else if (scope.bytes > maxBytes) {
      error = new ProvError('LimitExceeded', `ctx.${name}: more than ${maxBytes} bytes through host calls in one operation`, { details: { limit: 'host_bytes', max: maxBytes } });
    }
    if (error === undefined) return;
    if (!scope.breached) {
      scope.breached = true;
      this.#options.onLimit?.(callId, error);
    }
    throw error;
  }

  #audit(capability: string, name: string, scope: OpenScope, record: CallRecord, time: string, started: number, failure: ProvError | undefined): void {
    const sink = this.#options.audit;
    if (sink === undefined) return;
    const { context } = scope;
    const denied = failure?.code === 'PermissionDenied';
    const decision: AuditRecord['decision'] = denied ? 'denied' : record.planned ? 'planned' : 'allowed';
    if (scope.audited >= MAX_AUDIT_RECORDS) {
      // A flood of calls (a loop of denials) is counted, not written one by one: see #auditSummary.
      const key = `${name} ${decision}`;
      const entry = scope.unaudited.get(key) ?? { capability, call: name, decision, count: 0 };
      entry.count++;
      scope.unaudited.set(key, entry);
      return;
    }
    scope.audited++;
    const permission = record.permission === undefined ? null : { key: record.permission.key, value: clip(record.permission.value) };
    this.#writeAudit({
      time,
      extension: context.extension.name,
      version: context.extension.version,
      operation: context.operation ?? null,
      capability,
      call: name,
      target: record.target === undefined ? null : clip(record.target),
      permission,
      decision,
      changed: failure === undefined && record.changed === true,
      duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
      bytes_in: record.bytesIn ?? 0,
      bytes_out: record.bytesOut ?? 0,
      error: failure === undefined || denied ? null : failure.code,
      server: record.server ?? scope.target?.name ?? null,
    }, scope);
  }

  /** One record per kind of call that went past MAX_AUDIT_RECORDS in an operation, with its count. */
  #auditSummary(scope: OpenScope): void {
    const { context } = scope;
    for (const entry of scope.unaudited.values()) {
      this.#writeAudit({
        time: new Date().toISOString(),
        extension: context.extension.name,
        version: context.extension.version,
        operation: context.operation ?? null,
        capability: entry.capability,
        call: entry.call,
        target: `${entry.count} more ${entry.decision} call(s), counted, not recorded one by one (more than ${MAX_AUDIT_RECORDS} audited calls in this operation)`,
        permission: null,
        decision: entry.decision,
        changed: false,
        duration_ms: 0,
        bytes_in: 0,
        bytes_out: 0,
        error: null,
        server: scope.target?.name ?? null,
      }, scope);
    }
    scope.unaudited.clear();
  }

  /** An audit log that cannot be written ends the operation: prov does not run calls it cannot record. */
  #writeAudit(record: AuditRecord, scope: OpenScope): void {
    try {
      this.#options.audit?.write(record);
    } catch (error) {
      if (scope.breached) return;
      scope.breached = true;
      const failure = new ProvError('AuditFailed', `The audit log could not be written: ${(error as Error).message}`, {
        hint: 'Check that $PROV_HOME/audit is writable and the disk is not full; prov does not run calls it cannot record.',
      });
      for (const [callId, open] of this.#scopes) if (open === scope) this.#options.onLimit?.(callId, failure);
    }
  }

  #parseArgs(name: string, argsJson: unknown): PlainValue[] {
    if (typeof argsJson !== 'string' || argsJson.length > this.#options.maxPayloadChars) {
      throw new ProvError('PermissionDenied', `ctx.${name}: arguments are missing or larger than ${this.#options.maxPayloadChars} characters`);
    }
    let args: PlainValue;
    try {
      args = parsePlainJson(argsJson);
    } catch {
      throw new ProvError('PermissionDenied', `ctx.${name}: arguments are not JSON data`);
    }
    if (!Array.isArray(args)) throw new ProvError('PermissionDenied', `ctx.${name}: arguments are not a list`);
    return args;
  }
}
