import type { AuditRecord } from '../../host-api/audit/audit-record.js';
import type { AuditSink, CallRecord, Capability, HostCallContext, HostCallHandler, LogSink } from '../../host-api/capability.js';
import { EffectRecorder } from '../../host-api/effects/effect-recorder.js';
import { emptyGrant, type GrantView } from '../../host-api/grants/grant-view.js';
import type { ExtensionIdentity, Target } from '../../host-api/sdk/context.js';
import { SecretMasker } from '../../host-api/secrets/secret-masker.js';
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
}

/** At most this many host calls of one operation run at once… */
export const MAX_CALLS_IN_FLIGHT = 256;
/** …and their arguments add up to at most this many characters (the guest's heap limit does not cover the host's copies). */
export const MAX_CHARS_IN_FLIGHT = 32 * 1024 * 1024;

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
    };
    const scope: OpenScope = {
      context, abort, closed: false, errors: [], inFlight: 0, inFlightChars: 0, calls: 0, bytes: 0,
      target: details.target ?? null, breached: false,
    };
    this.#scopes.set(callId, scope);
    return {
      context,
      errors: scope.errors,
      effects: context.effects,
      cancel: () => abort(CANCELLED),
      close: () => {
        scope.closed = true;
        this.#scopes.delete(callId);
        abort(ENDED);
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
    for (let index = 0; index + 4 <= flat.length; index += 4) {
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
      scope.bytes += payload.length + (record.bytesIn ?? 0) + (record.bytesOut ?? 0);
      this.#checkLimits(callId, scope, name, false);
    } catch (error) {
      ok = false;
      failure = error instanceof ProvError ? error : new ProvError('Internal', `ctx.${name} failed inside prov`, { cause: error });
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
    const entry: AuditRecord = {
      time,
      extension: context.extension.name,
      version: context.extension.version,
      operation: context.operation ?? null,
      capability,
      call: name,
      target: record.target ?? null,
      permission: record.permission ?? null,
      decision: denied ? 'denied' : record.planned ? 'planned' : 'allowed',
      changed: failure === undefined && record.changed === true,
      duration_ms: Math.round((performance.now() - started) * 1000) / 1000,
      bytes_in: record.bytesIn ?? 0,
      bytes_out: record.bytesOut ?? 0,
      error: failure === undefined || denied ? null : failure.code,
      server: scope.target?.name ?? null,
    };
    sink.write(entry);
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
