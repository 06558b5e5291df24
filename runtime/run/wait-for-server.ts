import { toProvError, ProvError } from '../errors/index.js';
import type { PlainValue } from '../data/plain-data.js';
import type { LoadedExtension } from '../extension/load-extension.js';
import type { CallOptions } from '../sandbox/extension-sandbox.js';
import { runOperation } from './run-operation.js';

/** The status a provider operation leaves a server in, when it is done; `gone` for a deletion. */
export const SETTLED_STATUS: Readonly<Record<string, string>> = {
  createServer: 'running',
  startServer: 'running',
  rebootServer: 'running',
  stopServer: 'stopped',
  deleteServer: 'gone',
};

export interface WaitOptions extends CallOptions {
  intervalMs: number;
  timeoutMs: number;
  /** Each poll's answer: the server's status, or `gone`. */
  onPoll?: (status: string, elapsedMs: number) => void;
}

/**
 * `--wait`: polls the provider's getServerInfo until the server reaches
 * `want` (`gone`: getServerInfo fails, as for a deleted server), bounded by
 * the timeout. The runtime waits, not the extension, so every provider gets
 * the same behaviour and the same limit. Returns the last answer.
 */
export async function waitForServer(extension: LoadedExtension, id: string, want: string, options: WaitOptions): Promise<{ status: string; info: PlainValue | null; polls: number; elapsedMs: number }> {
  const started = performance.now();
  for (let polls = 1; ; polls++) {
    let status: string;
    let info: PlainValue | null = null;
    try {
      info = (await runOperation(extension, 'getServerInfo', { id }, options)).result;
      status = typeof (info as { status?: unknown } | null)?.status === 'string' ? (info as { status: string }).status : 'unknown';
    } catch (error) {
      const known = toProvError(error);
      if (want !== 'gone' || known.code === 'PermissionDenied' || known.code === 'Cancelled' || known.code === 'LimitExceeded') throw known;
      status = 'gone';
    }
    const elapsedMs = performance.now() - started;
    options.onPoll?.(status, elapsedMs);
    if (status === want) return { status, info, polls, elapsedMs };
    if (status === 'error') throw new ProvError('OperationFailed', `Server ${id} went into status "error" while waiting for "${want}"`, { hint: 'See get-server-info and the provider\'s console.' });
    if (elapsedMs + options.intervalMs > options.timeoutMs) {
      throw new ProvError('WaitTimedOut', `Server ${id} is "${status}" after ${(elapsedMs / 1000).toFixed(1)} s, not "${want}": gave up waiting (--timeout ${options.timeoutMs / 1000})`, {
        hint: 'The operation itself was done; wait longer with a larger --timeout, or look again with get-server-info.',
      });
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, options.intervalMs);
      options.signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new ProvError('Cancelled', 'Waiting was cancelled'));
      }, { once: true });
    });
  }
}
