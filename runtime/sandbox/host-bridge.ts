import type { Capability, HostCallContext, HostCallHandler, LogSink } from '../../host-api/capability.js';
import type { ExtensionIdentity } from '../../host-api/sdk/context.js';
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
  /** The PermissionDenied errors the host gave this operation's calls. */
  readonly denials: readonly ProvError[];
}

interface OpenScope {
  context: HostCallContext;
  abort(reason: ProvError): void;
  closed: boolean;
  denials: ProvError[];
  /** Host calls of this operation still running, and the size of their arguments. */
  inFlight: number;
  inFlightChars: number;
}

/** At most this many host calls of one operation run at once… */
export const MAX_CALLS_IN_FLIGHT = 256;
/** …and their arguments add up to at most this many characters (the guest's heap limit does not cover the host's copies). */
export const MAX_CHARS_IN_FLIGHT = 32 * 1024 * 1024;

export interface HostBridgeOptions {
  capabilities: Readonly<Record<string, Capability>>;
  identity: ExtensionIdentity;
  log: LogSink;
  maxPayloadChars: number;
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
  readonly #options: HostBridgeOptions;
  #settle: Settle | undefined;

  constructor(options: HostBridgeOptions) {
    this.#options = options;
    for (const capability of Object.values(options.capabilities)) {
      // Deny by default: a gated capability is offered only through a grant check, which this bridge
      // does not have yet; until it does, such a capability is simply not there.
      if (!capability.alwaysGranted) continue;
      for (const [name, handler] of Object.entries(capability.calls)) this.#handlers.set(name, handler);
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

  open(callId: number, details: { operation: string | undefined; check: boolean; deadline: number }): CallScope {
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
    };
    const scope: OpenScope = { context, abort, closed: false, denials: [], inFlight: 0, inFlightChars: 0 };
    this.#scopes.set(callId, scope);
    return {
      context,
      denials: scope.denials,
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

  /** Entry point of the guest's `__prov_send`. Arguments come straight from the guest: check everything. */
  readonly receive = (callId: unknown, seq: unknown, name: unknown, argsJson: unknown): void => {
    if (typeof callId !== 'number' || typeof seq !== 'number' || typeof name !== 'string') return;
    const scope = this.#scopes.get(callId);
    if (scope === undefined) return;
    void this.#run(scope, seq, name, argsJson);
  };

  async #run(scope: OpenScope, seq: number, name: string, argsJson: unknown): Promise<void> {
    const { context } = scope;
    const chars = typeof argsJson === 'string' ? argsJson.length : 0;
    let ok = true;
    let payload = '';
    scope.inFlight += 1;
    scope.inFlightChars += chars;
    try {
      if (scope.inFlight > MAX_CALLS_IN_FLIGHT || scope.inFlightChars > MAX_CHARS_IN_FLIGHT) {
        throw new ProvError('LimitExceeded', `ctx.${name}: too many host calls in flight (at most ${MAX_CALLS_IN_FLIGHT}, ${MAX_CHARS_IN_FLIGHT} characters of arguments); await them`);
      }
      const handler = this.#handlers.get(name);
      if (handler === undefined) throw new ProvError('PermissionDenied', `ctx.${name} is not a host call prov offers`);
      const args = this.#parseArgs(name, argsJson);
      const result = await handler(args, context);
      payload = result === undefined ? '' : JSON.stringify(result);
    } catch (error) {
      ok = false;
      const known = error instanceof ProvError ? error : new ProvError('Internal', `ctx.${name} failed inside prov`);
      if (known.code === 'PermissionDenied') scope.denials.push(known);
      payload = JSON.stringify({ code: known.code, message: known.message, ...(known.hint ? { hint: known.hint } : {}) });
    } finally {
      scope.inFlight -= 1;
      scope.inFlightChars -= chars;
    }
    if (scope.closed) return; // the operation is over: nobody is waiting
    this.#settle?.(seq, ok, payload);
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
