import ivm from 'isolated-vm';
import type { AuditSink, Capability, LogSink } from '../../host-api/capability.js';
import type { GrantView } from '../../host-api/grants/grant-view.js';
import type { SecretValues } from '../../host-api/secrets/secret-values.js';
import type { ServerAccess } from '../../host-api/capabilities/servers/server-transport.js';
import { capabilities as defaultCapabilities } from '../../host-api/capabilities/index.js';
import type { ExtensionDescription, GuestBoot, OperationRequest } from '../../host-api/guest-protocol.js';
import type { ExtensionIdentity } from '../../host-api/sdk/context.js';
import type { ExtensionBundle } from '../build/bundle-extension.js';
import type { PlainValue } from '../data/plain-data.js';
import { ProvError } from '../errors/index.js';
import { escapeControl } from '../data/control-characters.js';
import { CachedCompiler } from './cached-compiler.js';
import { MemoryCodeCache, type CodeCache } from './code-cache.js';
import { parseDescription, parseInitOutcome, parseOperationOutcome } from './guest-messages.js';
import { guestScript } from './guest-scripts.js';
import { HostBridge } from './host-bridge.js';
import type { ResolvedLimits } from './limits.js';
import { describeOutcomeError, limitError, unknownOperationError } from './outcome-errors.js';
import { toKebabCase } from '../data/operation-names.js';
import { loadInputWording } from './word-input-issue.js';
import type { OperationResult } from './operation-result.js';
import { toOperationResult, type CallOptions, type ExtensionSandbox, type JsonOperationResult } from './extension-sandbox.js';
import { watch, watchAftermath, type Breach, type Watch } from './watchdog.js';

export interface IsolateSandboxOptions {
  bundle: Pick<ExtensionBundle, 'code' | 'filename' | 'stackMapper'>;
  identity: ExtensionIdentity;
  limits: ResolvedLimits;
  log: LogSink;
  /** Defaults to a process-wide in-memory cache. */
  codeCache?: CodeCache;
  /** Defaults to every capability in host-api/capabilities. */
  capabilities?: Readonly<Record<string, Capability>>;
  /** The effective grant (manifest ∩ operator); default: nothing granted. */
  grant?: GrantView;
  /** Values of the granted secrets. */
  secrets?: SecretValues;
  /** Where every gated call is recorded. */
  audit?: AuditSink;
  /** The granted servers and how to reach them (closed with the sandbox). */
  servers?: ServerAccess;
}

/** How long a cancelled operation gets to notice `ctx.signal` before its isolate is ended. */
const CANCEL_GRACE_MS = 250;

const sharedCodeCache = new MemoryCodeCache();

/** One isolate with the prelude and the extension loaded, and the host's handles into it. */
interface LiveIsolate {
  isolate: ivm.Isolate;
  context: ivm.Context;
  /** Starts an operation; the guest reports its end through `__prov_done`. */
  run: ivm.Reference<(requestJson: string) => void>;
  abort: ivm.Reference<(callId: number, reason: string) => void>;
  describe: ivm.Reference<() => string>;
  description: ExtensionDescription;
  /** The operation names the extension declared when it loaded: the host answers unknown ones itself. */
  declared: ReadonlySet<string>;
  describeLoaded: boolean;
}

/**
 * One extension in its own isolate, in this process. Operations run one at a
 * time; a limit breach ends the isolate and the next call loads a fresh one
 * from the same bundle (compiled from the V8 code cache). prov runs it inside
 * a supervised child process (sandbox.ts); used directly, a heap abort that
 * isolated-vm cannot catch would end the calling process.
 */
export class IsolateSandbox implements ExtensionSandbox {
  readonly #options: IsolateSandboxOptions;
  readonly #bridge: HostBridge;
  readonly #compiler: CachedCompiler;
  #live: LiveIsolate | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #nextCallId = 1;
  #disposed = false;
  /** Watches the isolate after an operation, until it is idle or the next operation starts. */
  #aftermath: Watch | undefined;
  /** Operations started in the guest, waiting for its `__prov_done`. */
  readonly #running = new Map<number, { resolve: (reply: unknown) => void; reject: (error: Error) => void }>();

  /** Entry point of the guest's `__prov_done` (an ignored ivm.Callback). */
  readonly #done = (callId: unknown, reply: unknown): void => {
    if (typeof callId !== 'number') return;
    const waiting = this.#running.get(callId);
    this.#running.delete(callId);
    waiting?.resolve(reply);
  };

  private constructor(options: IsolateSandboxOptions) {
    this.#options = options;
    this.#compiler = new CachedCompiler(options.codeCache ?? sharedCodeCache);
    this.#bridge = new HostBridge({
      capabilities: options.capabilities ?? defaultCapabilities,
      identity: options.identity,
      log: options.log,
      maxPayloadChars: options.limits.maxPayloadChars,
      ...(options.limits.maxHostCalls === undefined ? {} : { maxHostCalls: options.limits.maxHostCalls }),
      ...(options.limits.maxHostBytes === undefined ? {} : { maxHostBytes: options.limits.maxHostBytes }),
      ...(options.grant === undefined ? {} : { grant: options.grant }),
      ...(options.secrets === undefined ? {} : { secrets: options.secrets }),
      ...(options.audit === undefined ? {} : { audit: options.audit }),
      ...(options.servers === undefined ? {} : { servers: options.servers }),
      // A host-call limit (or an audit log that cannot be written) ends the operation: its reply becomes the
      // error, and the isolate goes at once, since the guest may still be running.
      onLimit: (callId, error) => {
        const waiting = this.#running.get(callId);
        this.#running.delete(callId);
        waiting?.reject(error);
        if (waiting !== undefined) this.#endIsolate();
      },
    });
  }

  /** Creates the isolate and loads the extension; throws InvalidExtension if it does not define one. */
  static async load(options: IsolateSandboxOptions): Promise<IsolateSandbox> {
    const sandbox = new IsolateSandbox(options);
    await sandbox.#ensureLive();
    return sandbox;
  }

  get identity(): ExtensionIdentity {
    return this.#options.identity;
  }

  /** Operations and kind, as the loaded bundle defines them (without input JSON Schemas). */
  get description(): ExtensionDescription {
    if (this.#live === undefined) throw new ProvError('SandboxFailure', 'The sandbox is not loaded');
    return this.#live.description;
  }

  /** The description with each operation's input as JSON Schema. */
  describe(): Promise<ExtensionDescription> {
    return this.#serialized(async () => {
      const live = await this.#ensureLive();
      const { limits } = this.#options;
      // Converting schemas runs extension objects (getters, custom checks): watched like an operation.
      const watchdog = watch(live.isolate, { wallMs: limits.loadTimeoutMs, cpuMs: limits.loadTimeoutMs }, () => this.#endIsolate());
      try {
        if (!live.describeLoaded) {
          const code = guestScript('describe');
          const { script, refresh } = await this.#compiler.compile(live.isolate, code, 'prov:describe.js');
          await script.run(live.context);
          if (refresh) await this.#compiler.refresh(live.isolate, code, 'prov:describe.js');
          live.describeLoaded = true;
        }
        return parseDescription(await live.describe.apply(undefined, []));
      } catch (error) {
        if (error instanceof ProvError) throw error;
        if (watchdog.breach !== undefined || live.isolate.isDisposed) throw this.#failure(error, watchdog.breach, 'describe', live.isolate);
        // The isolate is fine: extension code broke the description (e.g. by replacing prov's helper).
        throw new ProvError('OperationFailed', `${this.#options.identity.name} could not be described: ${escapeControl(String((error as Error).message ?? error))}`, {
          hint: 'Extension code interfered with prov\'s schema description (globals named __prov_*).',
        });
      } finally {
        watchdog.stop();
      }
    });
  }

  /** Runs one operation. `input` is plain data (undefined: none). */
  async call(operation: string, input: PlainValue | undefined, options: CallOptions = {}): Promise<OperationResult> {
    const inputJson = input === undefined ? undefined : JSON.stringify(input);
    return toOperationResult(operation, await this.callJson(operation, inputJson, options));
  }

  /** Runs one operation with its input as JSON text, and returns the guest's result text unparsed. */
  callJson(operation: string, inputJson: string | undefined, options: CallOptions = {}): Promise<JsonOperationResult> {
    return this.#serialized(() => this.#call(operation, inputJson, options));
  }

  /** Ends the isolate for good. */
  dispose(): void {
    this.#disposed = true;
    this.#endIsolate();
    this.#options.servers?.close(); // SSH master connections live as long as the sandbox
  }

  #serialized<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(task, task);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #call(operation: string, inputJson: string | undefined, options: CallOptions): Promise<JsonOperationResult> {
    if (options.signal?.aborted) throw new ProvError('Cancelled', `${operation} was cancelled before it started`);
    this.#aftermath?.stop();
    const live = await this.#ensureLive();
    const { limits, identity } = this.#options;
    if (options.signal?.aborted) throw new ProvError('Cancelled', `${operation} was cancelled before it started`);
    if (!live.declared.has(operation)) throw unknownOperationError(identity, operation, [...live.declared]);
    const callId = this.#nextCallId++;
    const deadline = Date.now() + limits.timeoutMs;
    const check = options.check ?? false;
    const scope = this.#bridge.open(callId, { operation, check, deadline, target: options.target ?? null });
    const request: OperationRequest = {
      callId,
      operation,
      inputJson: inputJson ?? '',
      context: { check, deadline, target: options.target ?? null },
    };

    let cancelled = false;
    let graceTimer: NodeJS.Timeout | undefined;
    const onCancel = () => {
      cancelled = true;
      live.abort.applyIgnored(undefined, [callId, 'The operation was cancelled']);
      scope.cancel();
      graceTimer = setTimeout(() => this.#endIsolate(), CANCEL_GRACE_MS);
    };
    options.signal?.addEventListener('abort', onCancel, { once: true });
    const watchdog = watch(live.isolate, { wallMs: limits.timeoutMs, cpuMs: limits.cpuMs }, () => this.#endIsolate());

    try {
      // Started with applyIgnored and ended by a callback: a third cheaper than awaiting an apply's promise.
      const reply = new Promise<unknown>((resolve, reject) => this.#running.set(callId, { resolve, reject }));
      live.run.applyIgnored(undefined, [JSON.stringify(request)]);
      const raw = await reply;
      if (cancelled) throw new ProvError('Cancelled', `${operation} was cancelled`);
      // Secret values in thrown messages are masked before long texts are cut (results are masked once parsed).
      const outcome = parseOperationOutcome(raw, scope.context.mask);
      if (outcome.status === 'ok') {
        // The prelude checks this too, but the prelude shares its realm with the extension.
        if (outcome.resultJson.length > limits.maxPayloadChars) {
          throw new ProvError('OperationFailed', `${identity.name} ${toKebabCase(operation)}: the result is larger than ${limits.maxPayloadChars} characters`);
        }
        return { resultJson: outcome.resultJson, changed: scope.effects.changed, ...(check ? { plan: scope.effects.plan } : {}) };
      }
      // An error the host really gave (a denial, a missing secret), left uncaught, keeps its code and exit code; one the extension made up does not.
      if (outcome.status === 'thrown' && outcome.error.code !== undefined) {
        const hostError = scope.errors.find((candidate) => candidate.code === outcome.error.code && candidate.message === outcome.error.message);
        if (hostError !== undefined) throw hostError;
      }
      if (outcome.status === 'invalid-input') await loadInputWording();
      const error = describeOutcomeError(outcome, {
        operation,
        identity,
        stackMapper: this.#options.bundle.stackMapper,
        limits,
        nearMemoryLimit: () => nearMemoryLimit(live.isolate, limits),
      });
      // A guest that ran out of ArrayBuffer memory is left in an unknown state: start the next call afresh.
      if (error.code === 'LimitExceeded') this.#endIsolate();
      throw error;
    } catch (error) {
      if (error instanceof ProvError) throw error;
      if (cancelled) throw new ProvError('Cancelled', `${operation} was cancelled`);
      throw this.#failure(error, watchdog.breach, operation, live.isolate);
    } finally {
      watchdog.stop();
      clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', onCancel);
      this.#running.delete(callId);
      scope.close();
      if (this.#live === live) this.#aftermath = watchAftermath(live.isolate, () => this.#endIsolate());
    }
  }

  /** Turns an isolate failure into LimitExceeded (with the limit that was hit) or SandboxFailure. */
  #failure(error: unknown, breach: Breach | undefined, operation: string, isolate: ivm.Isolate): ProvError {
    const message = error instanceof Error ? error.message : String(error);
    // Nothing but isolated-vm's memory limit disposes an isolate that prov did not end itself.
    const memory = breach === undefined && isolate.isDisposed;
    this.#endIsolate();
    if (breach !== undefined) return limitError(breach, operation, this.#options.identity, this.#options.limits);
    if (memory) {
      return limitError({ kind: 'memory', limitMs: 0 }, operation, this.#options.identity, this.#options.limits);
    }
    return new ProvError('SandboxFailure', `The sandbox of ${this.#options.identity.name} failed during ${operation}: ${message}`, {
      cause: error,
    });
  }

  #endIsolate(): void {
    const live = this.#live;
    this.#live = undefined;
    this.#bridge.closeAll();
    for (const [callId, waiting] of this.#running) {
      this.#running.delete(callId);
      waiting.reject(new Error('The isolate was ended'));
    }
    if (live !== undefined && !live.isolate.isDisposed) live.isolate.dispose();
  }

  async #ensureLive(): Promise<LiveIsolate> {
    if (this.#disposed) throw new ProvError('SandboxFailure', `The sandbox of ${this.#options.identity.name} was disposed`);
    if (this.#live !== undefined && !this.#live.isolate.isDisposed) return this.#live;
    this.#live = await this.#createIsolate();
    return this.#live;
  }

  async #createIsolate(): Promise<LiveIsolate> {
    const { limits, bundle, identity } = this.#options;
    const isolate = new ivm.Isolate({ memoryLimit: limits.memoryMb });
        const scope = this.#bridge.open(0, { operation: undefined, check: false, deadline: Date.now() + limits.loadTimeoutMs });
    const watchdog = watch(isolate, { wallMs: limits.loadTimeoutMs, cpuMs: limits.loadTimeoutMs }, () => {
      if (!isolate.isDisposed) isolate.dispose();
    });
    try {
      // Small steps run synchronously (no thread hop); code an extension can influence runs async under the watchdog.
      const context = isolate.createContextSync();
      const global = context.global;
      const boot: GuestBoot = { hostCalls: this.#bridge.callNames, maxPayloadChars: limits.maxPayloadChars, extension: { ...identity } };
      global.setSync('__prov_send', new ivm.Callback(this.#bridge.receive, { ignored: true }));
      global.setSync('__prov_done', new ivm.Callback(this.#done, { ignored: true }));
      global.setSync('__prov_boot', JSON.stringify(boot));
      const preludeCode = guestScript('prelude');
      const prelude = await this.#compiler.compile(isolate, preludeCode, 'prov:prelude.js');
      prelude.script.runSync(context, { timeout: limits.loadTimeoutMs });

      // Take the host's handles before any extension code runs, then hide them.
      const take = <T>(name: string) => {
        const ref = global.getSync(name, { reference: true }) as ivm.Reference<T>;
        global.deleteSync(name);
        return ref;
      };
      const settle = take<(...flat: (number | boolean | string)[]) => void>('__prov_settle');
      const run = take<(requestJson: string) => void>('__prov_run');
      const abort = take<(callId: number, reason: string) => void>('__prov_abort');
      const init = take<() => string>('__prov_init');
      const describe = take<() => string>('__prov_describe');
      // Settles that come in one turn of this process's loop cross into the guest together.
      let outbox: (number | boolean | string)[] = [];
      let flushQueued = false;
      const flush = () => {
        const batch = outbox;
        outbox = [];
        flushQueued = false;
        if (!isolate.isDisposed) settle.applyIgnored(undefined, batch);
      };
      this.#bridge.attach((seq, ok, payload) => {
        outbox.push(seq, ok, payload);
        if (!flushQueued) {
          flushQueued = true;
          setImmediate(flush);
        }
      });

      const bundleScript = await this.#compiler.compile(isolate, bundle.code, bundle.filename);
      // No isolated-vm `timeout` here: the watch ends the isolate and says which limit it was.
      await bundleScript.script.run(context);
      const initOutcome = parseInitOutcome(await init.apply(undefined, []));
      if (initOutcome.status === 'invalid') {
        throw new ProvError('InvalidExtension', `${identity.name}: ${escapeControl(initOutcome.message)}`, {
          hint: 'See the SDK: import { defineProvider } from "prov/sdk" and export default defineProvider({ … }).',
        });
      }
      if (initOutcome.description.kind !== identity.type) {
        throw new ProvError(
          'InvalidExtension',
          `${identity.name}: metadata.toml says type = "${identity.type}", but src/index.ts defines a ${escapeControl(initOutcome.description.kind)}`,
          { hint: `Use define${capitalize(identity.type)} in src/index.ts, or fix [extension] type in metadata.toml.` },
        );
      }
      if (prelude.refresh) await this.#compiler.refresh(isolate, preludeCode, 'prov:prelude.js');
      if (bundleScript.refresh) await this.#compiler.refresh(isolate, bundle.code, bundle.filename);
      const { description } = initOutcome;
      const declared = new Set(description.operations.map((op) => op.name));
      return { isolate, context, run, abort, describe, description, declared, describeLoaded: false };
    } catch (error) {
      // Nothing but isolated-vm's memory limit disposes an isolate that the watch did not end.
      const outOfMemory = watchdog.breach === undefined && isolate.isDisposed;
      if (!isolate.isDisposed) isolate.dispose();
      if (error instanceof ProvError) throw error;
      if (watchdog.breach !== undefined) throw limitError(watchdog.breach, 'loading', identity, limits);
      const message = error instanceof Error ? error.message : String(error);
      if (outOfMemory) throw limitError({ kind: 'memory', limitMs: 0 }, 'loading', identity, limits);
      const stack = error instanceof Error && error.stack ? bundle.stackMapper.mapStack(error.stack) : message;
      throw new ProvError('InvalidExtension', `${identity.name} failed while loading: ${escapeControl(message)}`, {
        hint: 'The top-level code of the bundle threw; the mapped stack is in details.',
        details: { stack },
      });
    } finally {
      watchdog.stop();
      scope.close();
    }
  }
}

/** Host-side evidence for an ArrayBuffer allocation failure: the isolate uses at least half its limit. */
function nearMemoryLimit(isolate: ivm.Isolate, limits: ResolvedLimits): boolean {
  if (isolate.isDisposed) return true;
  const heap = isolate.getHeapStatisticsSync();
  return heap.used_heap_size + heap.externally_allocated_size >= (limits.memoryMb * 1024 * 1024) / 2;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
