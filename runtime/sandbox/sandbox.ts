import path from 'node:path';
import type { AuditSink, LogSink } from '../../host-api/capability.js';
import { emptyGrant, type GrantView } from '../../host-api/grants/grant-view.js';
import type { SecretValues } from '../../host-api/secrets/secret-values.js';
import type { SshEnvironment } from '../../host-api/capabilities/servers/server-transport.js';
import type { ServerRecord } from '../inventory/server-record.js';
import type { ExtensionDescription } from '../../host-api/guest-protocol.js';
import type { ExtensionIdentity } from '../../host-api/sdk/context.js';
import type { ExtensionBundle } from '../build/bundle-extension.js';
import type { PlainValue } from '../data/plain-data.js';
import { ProvError } from '../errors/index.js';
import { toOperationResult, type CallOptions, type ExtensionSandbox } from './extension-sandbox.js';
import type { ResolvedLimits } from './limits.js';
import type { OperationResult } from './operation-result.js';
import { limitError } from './outcome-errors.js';
import type { LoadRequest, ReplyValue } from './process/host-messages.js';
import { SandboxHost } from './process/sandbox-host.js';

export interface SandboxOptions {
  bundle: ExtensionBundle;
  identity: ExtensionIdentity;
  limits: ResolvedLimits;
  log: LogSink;
  /** Where V8 code caches are kept (none: memory only, per host process). */
  codeCacheDir?: string;
  /** A host process started ahead of time (e.g. while the bundle was built). */
  host?: SandboxHost;
  /** The effective grant; default: nothing granted. */
  grant?: GrantView;
  secrets?: SecretValues;
  /** Where every gated call is recorded. */
  audit?: AuditSink;
  /** The granted servers, and what ssh needs of the operator's environment. */
  servers?: ServerRecord[];
  ssh?: SshEnvironment;
}

/**
 * How long past an operation's own deadline prov waits for its host process
 * before killing it: the host enforces the limits itself; this is the
 * backstop for a host that stopped answering.
 */
const HOST_GRACE_MS = 2_000;

/**
 * An extension in its own isolate, in its own supervised child process. The
 * isolate enforces the memory, CPU and wall-clock limits; the process
 * boundary makes the one failure isolated-vm cannot catch — V8 aborting on a
 * heap allocation (a Map grown by millions of keys) — end only that child.
 * prov then reports LimitExceeded and the next call starts a fresh host.
 */
export class Sandbox implements ExtensionSandbox {
  readonly #options: SandboxOptions;
  readonly #load: LoadRequest;
  #host: SandboxHost | undefined;
  /** The current host once its load answered; shared by every caller while it loads. */
  #ready: Promise<SandboxHost> | undefined;
  #description: ExtensionDescription | undefined;
  #disposed = false;
  /** Requests go one at a time, as the host runs them: a deadline then counts only the request's own time. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(options: SandboxOptions) {
    this.#options = options;
    const { bundle, identity, limits } = options;
    this.#load = {
      code: bundle.code,
      sourceMapJson: bundle.sourceMapJson,
      filename: bundle.filename,
      outfile: bundle.outfile,
      extensionDir: path.dirname(path.dirname(bundle.outfile)),
      identity,
      limits,
      ...(options.codeCacheDir === undefined ? {} : { codeCacheDir: options.codeCacheDir }),
      grant: options.grant ?? emptyGrant(),
      secrets: [...(options.secrets ?? new Map<string, string>())],
      servers: options.servers ?? [],
      ssh: options.ssh ?? { home: '/nonexistent' },
    };
  }

  /** Starts (or takes) a host process and loads the extension in it. */
  static async load(options: SandboxOptions): Promise<Sandbox> {
    const sandbox = new Sandbox(options);
    await sandbox.#ensureHost(options.host);
    return sandbox;
  }

  get identity(): ExtensionIdentity {
    return this.#options.identity;
  }

  get description(): ExtensionDescription {
    if (this.#description === undefined) throw new ProvError('SandboxFailure', 'The sandbox is not loaded');
    return this.#description;
  }

  /** The host process now serving this extension (for tests and benchmarks). */
  get host(): SandboxHost | undefined {
    return this.#host;
  }

  describe(): Promise<ExtensionDescription> {
    return this.#serialized(async () => {
      const host = await this.#ensureHost();
      const reply = await this.#withBackstop(host, host.request({ type: 'describe' }).reply, this.#options.limits.loadTimeoutMs);
      if (reply.kind !== 'described') throw unexpected(reply);
      return reply.description;
    });
  }

  call(operation: string, input: PlainValue | undefined, options: CallOptions = {}): Promise<OperationResult> {
    const signal = options.signal;
    let started = false;
    const queued = this.#serialized(() => {
      started = true;
      return this.#call(operation, input, options);
    });
    if (signal === undefined) return queued;
    // A cancel while still queued does not wait for the calls before this one (when its turn comes, the call
    // sees the abort and does nothing); a running call gets ctx.signal and its grace period in the host.
    return new Promise<OperationResult>((resolve, reject) => {
      const onAbort = () => {
        if (!started) reject(new ProvError('Cancelled', `${operation} was cancelled before it started`));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      queued.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  #serialized<T>(task: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(task, task);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #call(operation: string, input: PlainValue | undefined, options: CallOptions): Promise<OperationResult> {
    const cancelled = () => new ProvError('Cancelled', `${operation} was cancelled before it started`);
    if (options.signal?.aborted) throw cancelled();
    const host = await this.#ensureHost();
    // A cancel that came while a new host was loading still counts.
    if (options.signal?.aborted) throw cancelled();
    const { id, reply } = host.request({
      type: 'call',
      operation,
      inputJson: input === undefined ? undefined : JSON.stringify(input),
      check: options.check ?? false,
      target: options.target ?? null,
    });
    const onCancel = () => host.cancel(id);
    options.signal?.addEventListener('abort', onCancel, { once: true });
    try {
      const value = await this.#withBackstop(host, reply, this.#options.limits.timeoutMs);
      if (value.kind !== 'result') throw unexpected(value);
      return toOperationResult(operation, value.result);
    } catch (error) {
      if (host.exit?.outOfMemory && error instanceof ProvError && error.code === 'LimitExceeded') {
        // Said the same way as a breach the isolate caught itself: to the operator it is the same limit.
        const breach = limitError({ kind: 'memory', limitMs: 0 }, operation, this.identity, this.#options.limits);
        throw new ProvError('LimitExceeded', breach.message, {
          hint: `${breach.hint} V8 aborted the sandbox process on a heap allocation it could not make; prov carried on.`,
          ...(breach.details === undefined ? {} : { details: breach.details }),
        });
      }
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', onCancel);
    }
  }

  dispose(): void {
    this.#disposed = true;
    this.#host?.shutdown();
    this.#host = undefined;
    this.#ready = undefined;
  }

  /** The host to send to: the current one, or a new one (spawned or pre-started) once it has loaded the extension. */
  #ensureHost(prestarted?: SandboxHost): Promise<SandboxHost> {
    if (this.#disposed) return Promise.reject(new ProvError('SandboxFailure', `The sandbox of ${this.identity.name} was disposed`));
    if (this.#ready !== undefined && this.#host?.alive) return this.#ready;
    const host = prestarted?.alive ? prestarted : SandboxHost.spawn();
    host.log = this.#options.log;
    if (this.#options.audit !== undefined) host.audit = this.#options.audit;
    this.#host = host;
    const ready = (async () => {
      const reply = await this.#withBackstop(host, host.request({ type: 'load', load: this.#load }).reply, this.#options.limits.loadTimeoutMs);
      if (reply.kind !== 'loaded') throw unexpected(reply);
      this.#description = reply.description;
      return host;
    })();
    this.#ready = ready;
    ready.catch(() => {
      host.kill();
      if (this.#host === host) {
        this.#host = undefined;
        this.#ready = undefined;
      }
    });
    return ready;
  }

  /** Kills a host that overstays `limitMs` by more than HOST_GRACE_MS: it stopped enforcing its own limits. */
  async #withBackstop<T>(host: SandboxHost, reply: Promise<T>, limitMs: number): Promise<T> {
    const timer = setTimeout(() => {
      host.kill(
        new ProvError('LimitExceeded', `${this.identity.name} did not answer within its time limit of ${limitMs} ms; its sandbox process was ended`, {
          details: { limit: 'timeout', limit_ms: limitMs },
        }),
      );
    }, limitMs + HOST_GRACE_MS);
    timer.unref();
    try {
      return await reply;
    } finally {
      clearTimeout(timer);
    }
  }
}

function unexpected(reply: ReplyValue): ProvError {
  return new ProvError('SandboxFailure', `The sandbox host answered with an unexpected "${reply.kind}"`);
}
