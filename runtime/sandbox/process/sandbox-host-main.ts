/**
 * Entry point of a sandbox host process: one extension's isolate, away from
 * the process that orchestrates. If V8 aborts this process on a heap
 * allocation it cannot satisfy (isolated-vm #457, #527), the parent sees the
 * exit, reports LimitExceeded and starts a new host for the next call.
 */
import type { AuditRecord } from '../../../host-api/audit/audit-record.js';
import type { AuditSink, LogEntry, LogSink } from '../../../host-api/capability.js';
import { StackMapper } from '../../build/stack-mapper.js';
import { ProvError, toProvError } from '../../errors/index.js';
import { FileCodeCache, MemoryCodeCache } from '../code-cache.js';
import { IsolateSandbox } from '../isolate-sandbox.js';
import { ServerAccess } from '../../../host-api/capabilities/servers/server-transport.js';
import type { FromSandboxHost, LoadRequest, ToSandboxHost } from './host-messages.js';

/** Log lines are sent in batches (one IPC message costs ~40 µs here); at most LOG_FLUSH_MS late. */
const LOG_FLUSH_MS = 10;
const LOG_BATCH_MAX = 256;
const LOG_BATCH_MAX_CHARS = 256 * 1024;
let logBatch: LogEntry[] = [];
let logBatchChars = 0;
let logTimer: NodeJS.Timeout | undefined;

let auditBatch: AuditRecord[] = [];

function flushLogs(): void {
  clearTimeout(logTimer);
  logTimer = undefined;
  if (logBatch.length > 0) {
    process.send?.({ type: 'logs', entries: logBatch } satisfies FromSandboxHost);
    logBatch = [];
    logBatchChars = 0;
  }
  if (auditBatch.length > 0) {
    process.send?.({ type: 'audit', records: auditBatch } satisfies FromSandboxHost);
    auditBatch = [];
  }
}

const log: LogSink = {
  write(entry) {
    logBatch.push(entry);
    logBatchChars += entry.message.length;
    if (logBatch.length >= LOG_BATCH_MAX || logBatchChars >= LOG_BATCH_MAX_CHARS) flushLogs();
    else logTimer ??= setTimeout(flushLogs, LOG_FLUSH_MS);
  },
};

/**
 * Audit records travel with the log batches. A denied, planned or mutating
 * call is sent within this turn of the event loop (not after LOG_FLUSH_MS):
 * if V8 aborts this process a moment later, the record of what the extension
 * tried is already with prov; a burst of denials still goes as one message.
 */
let urgentFlush: NodeJS.Immediate | undefined;
const audit: AuditSink = {
  write(record) {
    auditBatch.push(record);
    if (auditBatch.length >= LOG_BATCH_MAX) flushLogs();
    else if (record.decision !== 'allowed' || record.changed) {
      urgentFlush ??= setImmediate(() => {
        urgentFlush = undefined;
        flushLogs();
      });
    } else logTimer ??= setTimeout(flushLogs, LOG_FLUSH_MS);
  },
};

/** Replies go after the logs that came before them, so the operator reads them in order. */
const send = (message: FromSandboxHost): void => {
  flushLogs();
  process.send?.(message);
};
const cancels = new Map<number, AbortController>();
let sandbox: IsolateSandbox | undefined;

async function load(request: LoadRequest): Promise<IsolateSandbox> {
  const stackMapper = new StackMapper({
    sourceMapJson: request.sourceMapJson,
    filename: request.filename,
    mapDir: request.outfile.replace(/[\\/][^\\/]*$/, ''),
    extensionDir: request.extensionDir,
  });
  return IsolateSandbox.load({
    bundle: { code: request.code, filename: request.filename, stackMapper },
    identity: request.identity,
    limits: request.limits,
    log,
    audit,
    grant: request.grant,
    secrets: new Map(request.secrets),
    servers: new ServerAccess(request.servers, request.ssh),
    codeCache: request.codeCacheDir === undefined ? new MemoryCodeCache() : new FileCodeCache(request.codeCacheDir),
  });
}

async function handle(message: ToSandboxHost): Promise<void> {
  if (message.type === 'cancel') {
    cancels.get(message.id)?.abort();
    return;
  }
  if (message.type === 'dispose') {
    // Ends the isolate and the SSH master connections (they would outlive this process by their ControlPersist).
    flushLogs();
    sandbox?.dispose();
    sandbox = undefined;
    process.exit(0);
  }
  try {
    if (message.type === 'load') {
      sandbox?.dispose();
      sandbox = await load(message.load);
      send({ type: 'reply', id: message.id, ok: true, value: { kind: 'loaded', description: sandbox.description } });
      return;
    }
    if (sandbox === undefined) throw new ProvError('SandboxFailure', 'The sandbox host has no extension loaded');
    if (message.type === 'describe') {
      send({ type: 'reply', id: message.id, ok: true, value: { kind: 'described', description: await sandbox.describe() } });
      return;
    }
    const cancel = new AbortController();
    cancels.set(message.id, cancel);
    try {
      const result = await sandbox.callJson(message.operation, message.inputJson, {
        check: message.check,
        target: message.target,
        signal: cancel.signal,
      });
      send({ type: 'reply', id: message.id, ok: true, value: { kind: 'result', result } });
    } finally {
      cancels.delete(message.id);
    }
  } catch (error) {
    send({ type: 'reply', id: message.id, ok: false, error: toProvError(error).toJSON() });
  }
}

/**
 * Runs a trivial extension once, while prov is still bundling the real one:
 * the first real load then runs warm code (measured: about a third faster).
 */
async function warmUp(): Promise<void> {
  const code = `var __prov_extension = { default: { brand: 'prov.extension/1', kind: 'provider', operations: { ping: async () => 'pong' } } };`;
  const warm = await IsolateSandbox.load({
    bundle: { code, filename: 'prov:warm-up.js', stackMapper: new StackMapper({ sourceMapJson: '{}', filename: 'prov:warm-up.js', mapDir: '.', extensionDir: '.' }) },
    identity: { name: 'warm-up', type: 'provider', version: '0.0.0' },
    limits: { memoryMb: 8, timeoutMs: 1000, cpuMs: 1000, loadTimeoutMs: 1000, maxPayloadChars: 1024 },
    log: { write: () => undefined },
    codeCache: new MemoryCodeCache(),
  });
  try {
    await warm.callJson('ping', undefined);
  } finally {
    warm.dispose();
  }
}

const warmedUp = warmUp().catch(() => undefined);
process.on('message', (message: ToSandboxHost) => void warmedUp.then(() => handle(message)));
// Ctrl-C reaches the whole process group: prov decides what a cancel means (ctx.signal, then the isolate ends).
process.on('SIGINT', () => undefined);
// The parent went away: nobody is left to answer to. With the isolate and the IPC channel gone, the process ends.
process.on('disconnect', () => {
  sandbox?.dispose();
  sandbox = undefined;
  for (const cancel of cancels.values()) cancel.abort();
});
