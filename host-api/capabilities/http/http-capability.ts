import { createHash } from 'node:crypto';
import type { PlainValue } from '../../../runtime/data/plain-data.js';
import { ProvError } from '../../../runtime/errors/index.js';
import type { CallRecord, Capability, HostCallContext } from '../../capability.js';
import { malformed } from '../../grants/permission-denied.js';
import { fillPlaceholders, hasPlaceholder, URL_PLACEHOLDER, type Origin } from '../secrets/secret-placeholders.js';
import { takeOptions } from '../take-options.js';
import { httpPermission } from './http-permissions.js';
import { checkUrl, sameOrigin, type CheckedUrl } from './request-target.js';
import { resolveAddress } from './resolve-address.js';
import { MAX_RESPONSE_BYTES, sendRequest } from './send-request.js';

/** Largest request body prov sends. */
export const MAX_REQUEST_BYTES = 8 * 1024 * 1024;
const MAX_REDIRECTS = 10;
const DEFAULT_TIMEOUT_MS = 30_000;
/** Methods that only read: sent under --check; every other method is planned instead (PRODUCT.md §3). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers prov sets itself, or that would change how the bytes on the wire are framed or routed. */
const FORBIDDEN_HEADERS = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer',
  'proxy-authorization', 'proxy-connection', 'expect',
  // A GET that a server treats as a DELETE would get around check mode.
  'x-http-method-override', 'x-http-method', 'x-method-override',
]);
/** What Node (and HTTP) accept in a header value: a filled-in secret must not break the request either. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

interface RequestTemplate {
  method: string;
  /** Header values as the extension wrote them: placeholders are filled per hop. */
  headers: Record<string, string>;
  body: string | undefined;
  /** A JSON body: placeholders are filled with JSON-escaped values. */
  json: boolean;
}

function parseInit(raw: PlainValue | undefined): { template: RequestTemplate; redirect: string; timeoutMs: number | undefined } {
  const init = takeOptions(raw, ['method', 'headers', 'body', 'redirect', 'timeoutMs'], 'http.fetch', httpPermission);
  const method = init['method'] ?? 'GET';
  if (typeof method !== 'string' || !TOKEN.test(method)) throw malformed(httpPermission, `http.fetch: method ${JSON.stringify(method)} is not an HTTP method token`);
  const headers: Record<string, string> = Object.create(null);
  const rawHeaders = init['headers'] ?? {};
  if (typeof rawHeaders !== 'object' || rawHeaders === null || Array.isArray(rawHeaders)) throw malformed(httpPermission, 'http.fetch: headers must be an object of strings');
  for (const [name, value] of Object.entries(rawHeaders)) {
    if (!TOKEN.test(name)) throw malformed(httpPermission, `http.fetch: ${JSON.stringify(name)} is not a header name`);
    if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
      throw malformed(httpPermission, `http.fetch: header ${name} must be a string of visible Latin-1 characters, spaces and tabs (no CR, LF, NUL or other controls)`);
    }
    if (FORBIDDEN_HEADERS.has(name.toLowerCase())) throw malformed(httpPermission, `http.fetch: header ${name} is set by prov, not by extensions`);
    headers[name.toLowerCase()] = value;
  }
  let body: string | undefined;
  let json = false;
  const rawBody = init['body'];
  if (typeof rawBody === 'string') body = rawBody;
  else if (rawBody !== undefined && rawBody !== null) {
    body = JSON.stringify(rawBody);
    json = true;
    headers['content-type'] ??= 'application/json';
  }
  const redirect = init['redirect'] ?? 'follow';
  if (redirect !== 'follow' && redirect !== 'manual' && redirect !== 'error') throw malformed(httpPermission, 'http.fetch: redirect must be "follow", "manual" or "error"');
  const timeoutMs = init['timeoutMs'];
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0))) throw malformed(httpPermission, 'http.fetch: timeoutMs must be a positive number');
  return { template: { method: method.toUpperCase(), headers, body, json }, redirect, timeoutMs };
}

function originOf(target: CheckedUrl): Origin {
  return { scheme: target.scheme, host: target.host, port: target.port };
}

/**
 * The request for one hop. On the original origin every placeholder is
 * filled; after a redirect to another origin, headers that carried a
 * placeholder are dropped, and a body that carries one is refused.
 */
function materialize(template: RequestTemplate, target: CheckedUrl, first: CheckedUrl, call: HostCallContext, record: CallRecord, fill = true) {
  const onOrigin = sameOrigin(target, first);
  const origin = originOf(target);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(template.headers)) {
    if (!hasPlaceholder(value)) headers[name] = value;
    else if (onOrigin) {
      const filled = fillPlaceholders(value, origin, call, record, undefined, fill);
      if (!HEADER_VALUE.test(filled)) throw malformed(httpPermission, `http.fetch: a secret filled into header ${name} has characters a header cannot carry`);
      headers[name] = filled;
    }
  }
  let body: Buffer | undefined;
  if (template.body !== undefined) {
    if (!onOrigin && hasPlaceholder(template.body)) {
      throw malformed(httpPermission, `http.fetch: a redirect to ${target.url.origin} would carry a body with {{secret:…}} placeholders to another origin; refused`);
    }
    const filled = onOrigin ? fillPlaceholders(template.body, origin, call, record, template.json ? (value) => JSON.stringify(value).slice(1, -1) : undefined, fill) : template.body;
    body = Buffer.from(filled, 'utf8');
    if (body.length > MAX_REQUEST_BYTES) throw new ProvError('LimitExceeded', `http.fetch: the request body is larger than ${MAX_REQUEST_BYTES} bytes`);
  }
  return { headers, body };
}

async function fetchCall([rawUrl, rawInit]: PlainValue[], call: HostCallContext, record: CallRecord): Promise<PlainValue> {
  const { template, redirect, timeoutMs } = parseInit(rawInit);
  const first = checkUrl(rawUrl, call, record);
  // Placeholders in the URL are filled (URL-encoded) only in the extension's own URL, never in a
  // Location a server sent (a server could otherwise ask for any secret). The checked host is the template's.
  const pathFor = (target: CheckedUrl, fill: boolean): string => {
    const href = target.url.href;
    if (target !== first || !hasPlaceholder(href, URL_PLACEHOLDER)) return `${target.url.pathname}${target.url.search}`;
    const filled = new URL(fillPlaceholders(href, originOf(target), call, record, encodeURIComponent, fill, URL_PLACEHOLDER));
    if (filled.host !== target.url.host) throw malformed(httpPermission, 'http.fetch: a {{secret:…}} placeholder cannot change the URL\'s host');
    return `${filled.pathname}${filled.search}`;
  };

  const mutating = !SAFE_METHODS.has(template.method);
  if (call.check && mutating) {
    // Checked like a real request (grant, secret grants), then planned, not sent: the digest is of the
    // body with its placeholders, so a plan needs no secret value and never hashes one.
    const { body } = materialize(template, first, first, call, record, false);
    pathFor(first, false);
    record.planned = true;
    record.changed = true;
    const digest = body === undefined ? undefined : createHash('sha256').update(body).digest('hex');
    call.effects.planned({
      capability: 'http',
      call: 'http.fetch',
      target: `${template.method} ${first.url.href}`,
      summary: body === undefined ? `${template.method} ${first.url.href} (no body)` : `${template.method} ${first.url.href} with ${body.length} bytes (sha256 ${digest!.slice(0, 16)}…)`,
      changes: true,
      ...(digest === undefined ? {} : { bodySha256: digest }),
    });
    return { planned: true, status: 0, headers: {}, body: '', url: first.url.href };
  }

  const deadline = Math.min(call.deadline, Date.now() + (timeoutMs ?? DEFAULT_TIMEOUT_MS));
  let target = first;
  let method = template.method;
  let current = template;
  let bytesOut = 0;
  for (let hop = 0; ; hop++) {
    const { headers, body } = materialize(current, target, first, call, record);
    const address = await resolveAddress(target, call, record);
    const path = pathFor(target, true);
    bytesOut += body?.length ?? 0;
    let sent = false;
    let response;
    try {
      response = await sendRequest({
        target,
        path,
        address,
        method,
        headers,
        body,
        timeoutMs: Math.max(1, deadline - Date.now()),
        signal: call.signal,
        onSent: () => (sent = true),
        reserve: call.reserve,
      });
    } catch (error) {
      // A mutating request that reached the server may have had its effect, whatever came after.
      if (sent && !SAFE_METHODS.has(method)) {
        record.changed = true;
        call.effects.performed(true);
      }
      throw error;
    }
    record.bytesIn = (record.bytesIn ?? 0) + response.body.length;
    record.bytesOut = bytesOut;
    const location = response.headers['location'];
    const redirected = [301, 302, 303, 307, 308].includes(response.status) && location !== undefined;
    if (!redirected || redirect === 'manual') {
      if (mutating) {
        record.changed = true;
        call.effects.performed(true);
      }
      return { status: response.status, headers: response.headers, body: response.body.toString('utf8'), url: target.url.href };
    }
    if (redirect === 'error') throw new ProvError('HostCallFailed', `http.fetch: ${target.url.href} redirected (${response.status}) and redirect is "error"`, { details: { reason: 'EREDIRECT' } });
    if (hop + 1 > MAX_REDIRECTS) throw new ProvError('HostCallFailed', `http.fetch: more than ${MAX_REDIRECTS} redirects from ${first.url.href}`, { details: { reason: 'EREDIRECT' } });
    if (mutating) call.effects.performed(true); // the first hop already reached the server
    // Each hop is checked like a new request: grant, then address.
    let next: string;
    try {
      next = new URL(location, target.url).href;
    } catch {
      throw new ProvError('HostCallFailed', `http.fetch: ${target.url.href} redirected to an invalid URL`, { details: { reason: 'EREDIRECT' } });
    }
    target = checkUrl(next, call, record);
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
      method = method === 'HEAD' ? 'HEAD' : 'GET';
      const { 'content-type': _dropped, ...rest } = current.headers;
      current = { ...current, method, headers: rest, body: undefined, json: false };
    }
    if (call.check && !SAFE_METHODS.has(method)) {
      throw malformed(httpPermission, `http.fetch: under --check a redirect to ${method} ${target.url.href} is not followed`);
    }
  }
}

/** `ctx.http.fetch`: HTTP(S) to granted origins, made by the host on a checked, pinned address. */
export const httpCapability = {
  name: 'http',
  alwaysGranted: false,
  permissions: [httpPermission],
  calls: { 'http.fetch': fetchCall },
} satisfies Capability;

export { MAX_RESPONSE_BYTES };
