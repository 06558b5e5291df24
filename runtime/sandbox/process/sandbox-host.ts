import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { AuditRecord } from '../../../host-api/audit/audit-record.js';
import type { AuditSink, LogEntry, LogSink } from '../../../host-api/capability.js';
import { isErrorCode, ProvError, type ProvErrorJson } from '../../errors/index.js';
import { packageRoot } from '../../package-root.js';
import type { FromSandboxHost, ReplyValue, ToSandboxHost } from './host-messages.js';

/** How much of a host's stderr is kept to explain its death. */
const STDERR_TAIL_CHARS = 8 * 1024;

/** How V8 and isolated-vm say a heap could not grow. */
const OUT_OF_MEMORY = /heap out of memory|is_heap_oom|CALL_AND_RETRY_LAST|Allocation failed|memory limit/i;

/** A request as its sender writes it; the host gives it its id. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Request = WithoutId<Exclude<ToSandboxHost, { type: 'cancel' }>>;

interface Pending {
  resolve: (value: ReplyValue) => void;
  reject: (error: ProvError) => void;
}

/** How long a host asked to end itself gets before it is killed. */
const SHUTDOWN_GRACE_MS = 1_500;

/** Why a host process ended, as the parent saw it. */
export interface HostExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  outOfMemory: boolean;
  stderrTail: string;
}

/**
 * One sandbox host process, seen from prov: requests out, replies and log
 * lines in, and supervision. When the process dies, every request in flight
 * is rejected with LimitExceeded (a heap abort) or SandboxFailure, and the
 * host is dead for good; its owner starts a new one.
 */
export class SandboxHost {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #stderrTail = '';
  #exit: HostExit | undefined;
  #log: LogSink | undefined;
  #audit: AuditSink | undefined;
  #killedFor: ProvError | undefined;
  #killing = false;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.stderr?.setEncoding('utf8');
    (child.stderr as { unref?: () => void } | null)?.unref?.(); // read while it lives; never a reason to stay alive
    child.stderr?.on('data', (chunk: string) => {
      this.#stderrTail = (this.#stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    child.on('message', (message: unknown) => {
      const checked = this.#check(message);
      if (checked === undefined) this.kill(new ProvError('SandboxFailure', 'The sandbox process sent a malformed message'));
      else this.#receive(checked);
    });
    // 'close', not 'exit': by then stderr has been read to the end, and V8's last words decide the verdict.
    child.on('close', (code, signal) => this.#died(code, signal));
    child.on('error', () => this.#died(null, null));
    this.#idle();
  }

  /** Starts a host process. It is ready to load as soon as this returns (messages queue until it listens). */
  static spawn(): SandboxHost {
    const entry = path.join(packageRoot(), 'dist', 'runtime', 'sandbox', 'process', 'sandbox-host-main.js');
    const child = fork(entry, [], {
      execArgv: ['--no-node-snapshot'],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // The host runs untrusted code: it gets no environment (secrets live there), only what Node needs.
      env: { PATH: process.env['PATH'] ?? '' },
    });
    return new SandboxHost(child);
  }

  /** The host's process id (for diagnostics). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** False from the moment prov decides to kill it, or the process ends. */
  get alive(): boolean {
    return this.#exit === undefined && !this.#killing;
  }

  get exit(): HostExit | undefined {
    return this.#exit;
  }

  /** Where the extension's log lines go. */
  set log(sink: LogSink) {
    this.#log = sink;
  }

  /** Where the host's audit records go. */
  set audit(sink: AuditSink) {
    this.#audit = sink;
  }

  /** Sends a request; `id` identifies it for `cancel`. */
  request(message: Request): { id: number; reply: Promise<ReplyValue> } {
    const id = this.#nextId++;
    if (this.#exit !== undefined) return { id, reply: Promise.reject(this.#deathError()) };
    const reply = new Promise<ReplyValue>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#busy();
      this.#child.send({ ...message, id } as ToSandboxHost);
    });
    return { id, reply };
  }

  /** Asks the host to cancel a request (an operation); its reply still comes. */
  cancel(id: number): void {
    if (this.#exit === undefined) this.#child.send({ type: 'cancel', id } satisfies ToSandboxHost);
  }

  /** Ends the process now; requests in flight fail with `reason`. */
  /**
   * Asks the host to end itself (it closes its SSH master connections, then
   * exits) and kills it if it has not within SHUTDOWN_GRACE_MS. For a host
   * that is idle; one with work in flight is killed at once.
   */
  shutdown(): void {
    if (this.#exit !== undefined || this.#killing) return;
    if (this.#pending.size > 0 || !this.#child.connected) {
      this.kill();
      return;
    }
    this.#killing = true;
    this.#child.send({ type: 'dispose', id: 0 } satisfies ToSandboxHost);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), SHUTDOWN_GRACE_MS);
    this.#child.once('exit', () => clearTimeout(timer));
  }

  kill(reason?: ProvError): void {
    if (this.#exit !== undefined || this.#killing) return;
    this.#killing = true;
    this.#killedFor = reason;
    this.#child.kill('SIGKILL');
  }

  #receive(message: FromSandboxHost): void {
    if (message.type === 'audit') {
      for (const record of message.records) {
        if (!isAuditRecord(record)) {
          this.kill(new ProvError('SandboxFailure', 'The sandbox process sent a malformed audit record'));
          return;
        }
        try {
          this.#audit?.write(record);
        } catch (error) {
          // prov does not run calls it cannot record: the operation in flight ends.
          this.kill(new ProvError('AuditFailed', `The audit log could not be written: ${(error as Error).message}`, {
            hint: 'Check that $PROV_HOME/audit is writable and the disk is not full; prov does not run calls it cannot record.',
          }));
          return;
        }
      }
      return;
    }
    if (message.type === 'logs') {
      for (const entry of message.entries) {
        if (!isLogEntry(entry)) {
          this.kill(new ProvError('SandboxFailure', 'The sandbox process sent a malformed log entry'));
          return;
        }
        this.#log?.write(entry);
      }
      return;
    }
    const pending = this.#pending.get(message.id);
    if (pending === undefined) return;
    this.#pending.delete(message.id);
    if (this.#pending.size === 0) this.#idle();
    if (message.ok) pending.resolve(message.value);
    else pending.reject(fromJson(message.error));
  }

  /** The host process shares its fate with untrusted code: its messages are checked like the guest's. */
  #check(message: unknown): FromSandboxHost | undefined {
    if (typeof message !== 'object' || message === null) return undefined;
    const candidate = message as Record<string, unknown>;
    if (candidate['type'] === 'logs') return Array.isArray(candidate['entries']) ? (message as FromSandboxHost) : undefined;
    if (candidate['type'] === 'audit') return Array.isArray(candidate['records']) ? (message as FromSandboxHost) : undefined;
    if (candidate['type'] !== 'reply' || typeof candidate['id'] !== 'number') return undefined;
    if (candidate['ok'] === true) return typeof candidate['value'] === 'object' && candidate['value'] !== null ? (message as FromSandboxHost) : undefined;
    const error = candidate['error'] as Record<string, unknown> | undefined;
    const known = typeof error?.['code'] === 'string' && isErrorCode(error['code']) && typeof error['message'] === 'string';
    return known ? (message as FromSandboxHost) : undefined;
  }

  #died(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exit !== undefined) return;
    // Only V8's own words count: any other abort (a failed check in V8 or isolated-vm) is a SandboxFailure.
    this.#exit = { code, signal, outOfMemory: OUT_OF_MEMORY.test(this.#stderrTail), stderrTail: this.#stderrTail };
    const error = this.#deathError();
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  #deathError(): ProvError {
    if (this.#killedFor !== undefined) return this.#killedFor;
    const exit = this.#exit!;
    if (exit.outOfMemory) {
      return new ProvError('LimitExceeded', 'The extension ran its sandbox out of memory: V8 ended the sandbox process', {
        hint: 'A heap that grows in one huge step (a Map or object with millions of keys) can abort V8 before the isolate limit is checked; the next call starts a fresh sandbox.',
        details: { limit: 'memory', exit: exit.code, signal: exit.signal },
      });
    }
    return new ProvError('SandboxFailure', `The sandbox process ended unexpectedly (${exit.signal ?? `exit ${exit.code}`})`, {
      details: { exit: exit.code, signal: exit.signal, stderr: exit.stderrTail.slice(-2000) },
    });
  }

  // An idle host must not keep prov's process alive; a host with work in flight must.
  #idle(): void {
    this.#child.unref();
    (this.#child.channel as { unref?: () => void } | undefined)?.unref?.();
  }

  #busy(): void {
    this.#child.ref();
    (this.#child.channel as { ref?: () => void } | undefined)?.ref?.();
  }
}

const AUDIT_STRINGS = ['time', 'extension', 'version', 'capability', 'call', 'decision'] as const;
const AUDIT_NULLABLE_STRINGS = ['operation', 'target', 'error', 'server'] as const;
const AUDIT_NUMBERS = ['duration_ms', 'bytes_in', 'bytes_out'] as const;

function isAuditRecord(record: unknown): record is AuditRecord {
  if (typeof record !== 'object' || record === null) return false;
  const fields = record as Record<string, unknown>;
  if (!AUDIT_STRINGS.every((key) => typeof fields[key] === 'string')) return false;
  if (!AUDIT_NULLABLE_STRINGS.every((key) => fields[key] === null || typeof fields[key] === 'string')) return false;
  if (!AUDIT_NUMBERS.every((key) => typeof fields[key] === 'number')) return false;
  if (typeof fields['changed'] !== 'boolean') return false;
  const permission = fields['permission'] as Record<string, unknown> | null;
  return permission === null || (typeof permission === 'object' && typeof permission['key'] === 'string' && typeof permission['value'] === 'string');
}

function isLogEntry(entry: unknown): entry is LogEntry {
  if (typeof entry !== 'object' || entry === null) return false;
  const { level, message, extension, operation, fields } = entry as Record<string, unknown>;
  if (!(level === 'debug' || level === 'info' || level === 'warn' || level === 'error')) return false;
  if (typeof message !== 'string' || typeof extension !== 'string') return false;
  if (operation !== undefined && typeof operation !== 'string') return false;
  return fields === undefined || isJsonObject(fields);
}

/** A plain object that survives JSON: what a log entry's fields must be (structured clone can carry more). */
function isJsonObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  try {
    JSON.stringify(value);
  } catch {
    return false;
  }
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function fromJson(error: ProvErrorJson): ProvError {
  return new ProvError(error.code, error.message, {
    ...(error.hint === undefined ? {} : { hint: error.hint }),
    ...(error.details === undefined ? {} : { details: error.details }),
  });
}
