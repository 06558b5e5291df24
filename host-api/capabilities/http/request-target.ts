import { isIP } from 'node:net';
import type { CallRecord, HostCallContext } from '../../capability.js';
import { malformed, permissionDenied } from '../../grants/permission-denied.js';
import { grantFor, grantMatches, httpPermission, normalizeHostname, parseHttpGrant } from './http-permissions.js';

declare const checked: unique symbol;

/**
 * Proof that a URL was checked against the `http` grant: the only kind of
 * URL the request code sends to. The host is in its WHATWG-normalised form
 * (decimal, octal, hex and short IPv4 spellings, percent-encoding,
 * backslashes and IPv6 forms all resolved by the URL parser).
 */
export interface CheckedUrl {
  readonly [checked]: true;
  readonly url: URL;
  readonly scheme: 'http' | 'https';
  /** Lower case, no brackets, no trailing dot. */
  readonly host: string;
  readonly port: number;
  /** The grant entry that matched, as written. */
  readonly grant: string;
  /** True when the grant names this exact IP address: only then may it be loopback, private, … */
  readonly literalGrant: boolean;
}

export function checkUrl(raw: unknown, call: HostCallContext, record: CallRecord): CheckedUrl {
  if (typeof raw !== 'string' || raw === '') throw malformed(httpPermission, 'http.fetch(url): the URL must be a non-empty string');
  if (raw.length > 16 * 1024) throw malformed(httpPermission, 'http.fetch(url): the URL is longer than 16384 characters');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw malformed(httpPermission, `http.fetch: ${JSON.stringify(raw)} is not an absolute URL`);
  }
  record.target = url.href;
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') {
    throw malformed(httpPermission, `http.fetch: only http and https URLs, not ${JSON.stringify(url.protocol)}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw malformed(httpPermission, 'http.fetch: user information in a URL is refused; send credentials in a header with a {{secret:NAME}} placeholder');
  }
  const host = normalizeHostname(url.hostname);
  if (host === '') throw malformed(httpPermission, 'http.fetch: the URL has no host');
  const port = url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port);
  const value = grantFor(scheme, host, port);
  record.permission = { key: 'http', value };
  const granted = call.grant.granted.http ?? [];
  const match = granted.find((entry) => grantMatches(parseHttpGrant(entry), scheme, host, port));
  if (match === undefined) {
    const requested = (call.grant.requested.http ?? []).some((entry) => grantMatches(parseHttpGrant(entry), scheme, host, port));
    throw permissionDenied(httpPermission, value, call.grant, requested, record);
  }
  const parsed = parseHttpGrant(match);
  return { url, scheme, host, port, grant: match, literalGrant: !parsed.wildcard && isIP(parsed.host) !== 0 && parsed.host === host } as CheckedUrl;
}

/** Same scheme, host and port: a redirect that stays on the origin keeps its secrets. */
export function sameOrigin(a: CheckedUrl, b: CheckedUrl): boolean {
  return a.scheme === b.scheme && a.host === b.host && a.port === b.port;
}
