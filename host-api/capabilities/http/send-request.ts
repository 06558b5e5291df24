import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { ProvError } from '../../../runtime/errors/index.js';
import { hostCallFailed } from '../host-call-failed.js';
import type { CheckedUrl } from './request-target.js';
import type { PinnedAddress } from './resolve-address.js';

/** Largest response body prov reads; a larger one ends the call with LimitExceeded. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export interface OutgoingRequest {
  /** The checked URL as the extension wrote it: what messages name (never a filled-in secret). */
  target: CheckedUrl;
  /** Path and query to send: the target's, with placeholders filled in. */
  path: string;
  address: PinnedAddress;
  method: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  timeoutMs: number;
  signal: AbortSignal;
  /** Called once the request has been written: from then on a mutating request may have had its effect. */
  onSent?: () => void;
  /** Counts response bytes as they arrive (throws past the operation's byte limit). */
  reserve?: (bytes: number) => void;
}

export interface IncomingResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * One HTTP exchange with the checked address: Node's client dials the IP
 * (no lookup of its own, no agent, no proxy), sends the URL's host in
 * `Host` and, for https, in SNI and the certificate check.
 */
export function sendRequest(request: OutgoingRequest): Promise<IncomingResponse> {
  const { target, address } = request;
  const client = target.scheme === 'https' ? https : http;
  const hostHeader = target.url.host;
  return new Promise((resolve, reject) => {
    let settled = false;
    let outgoing: http.ClientRequest;
    const fail = (error: ProvError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outgoing.destroy();
      reject(error);
    };
    try {
      outgoing = client.request({
      host: address.address,
      family: address.family,
      port: target.port,
      method: request.method,
      path: request.path,
      headers: { ...request.headers, host: hostHeader, ...(request.body === undefined ? {} : { 'content-length': String(request.body.length) }) },
      agent: false,
      setHost: false,
      ...(target.scheme === 'https' && isIP(target.host) === 0 ? { servername: target.host } : {}),
      });
    } catch (error) {
      // Node refuses what it cannot put on the wire (a header it considers invalid): the call fails, prov does not.
      reject(hostCallFailed(error, `http.fetch: ${request.method} ${target.url.href}`));
      return;
    }
    outgoing.on('finish', () => request.onSent?.());
    const timer = setTimeout(() => {
      fail(new ProvError('HostCallFailed', `http.fetch: ${request.method} ${target.url.href} took longer than ${request.timeoutMs} ms`, { details: { reason: 'ETIMEDOUT' } }));
    }, request.timeoutMs);
    const onAbort = () => fail(new ProvError('Cancelled', `http.fetch: ${request.method} ${target.url.href} was cancelled: the operation ended`));
    if (request.signal.aborted) onAbort();
    request.signal.addEventListener('abort', onAbort, { once: true });
    outgoing.on('error', (error) => fail(hostCallFailed(error, `http.fetch: ${request.method} ${target.url.href}`)));
    outgoing.on('close', () => request.signal.removeEventListener('abort', onAbort));
    outgoing.on('response', (incoming) => {
      const chunks: Buffer[] = [];
      let size = 0;
      incoming.on('data', (chunk: Buffer) => {
        size += chunk.length;
        try {
          request.reserve?.(chunk.length);
        } catch (error) {
          fail(error as ProvError);
          return;
        }
        if (size > MAX_RESPONSE_BYTES) {
          fail(new ProvError('LimitExceeded', `http.fetch: the response from ${target.url.origin} is larger than ${MAX_RESPONSE_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      incoming.on('error', (error) => fail(hostCallFailed(error, `http.fetch: reading the response of ${target.url.href}`)));
      incoming.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const headers: Record<string, string> = Object.create(null);
        for (const [name, value] of Object.entries(incoming.headers)) {
          if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        resolve({ status: incoming.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
      });
    });
    if (request.body !== undefined) outgoing.end(request.body);
    else outgoing.end();
  });
}
