import { isIP } from 'node:net';
import type { PermissionKind } from '../../capability.js';

/**
 * One `[permissions] http` entry (PRODUCT.md §3.1): `host` is https on 443;
 * `http://host` and `host:port` say otherwise; `*.example.com` matches
 * subdomains, not the apex. Hosts are compared in WHATWG URL form (lower
 * case, IP literals normalised), without a trailing dot.
 */
export interface HttpGrant {
  scheme: 'http' | 'https';
  /** Without brackets for IPv6; for a wildcard, the suffix after `*.`. */
  host: string;
  wildcard: boolean;
  port: number;
}

const DEFAULT_PORT = { http: 80, https: 443 } as const;

export function parseHttpGrant(value: string): HttpGrant {
  if (/[\s\0]/.test(value)) throw new Error(`"${value}" contains whitespace or NUL`);
  const explicit = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(value);
  const scheme = (explicit?.[1] ?? 'https').toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') throw new Error(`"${value}": only http:// and https:// can be granted`);
  let rest = explicit === null ? value : value.slice(explicit[0].length);
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  const wildcard = rest.startsWith('*.');
  if (wildcard) rest = `wildcard${rest.slice(1)}`;
  let url: URL;
  try {
    url = new URL(`${scheme}://${rest}`);
  } catch {
    throw new Error(`"${value}" is not a host, host:port or *.suffix`);
  }
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '' || rest.includes('/')) {
    throw new Error(`"${value}": a grant is a host (and port), without user, path or query`);
  }
  let host = normalizeHostname(url.hostname);
  if (wildcard) {
    host = host.slice('wildcard.'.length);
    if (host === '' || isIP(host) !== 0) throw new Error(`"${value}": a wildcard needs a domain suffix`);
  }
  const port = url.port === '' ? DEFAULT_PORT[scheme] : Number(url.port);
  return { scheme, host, wildcard, port };
}

/** WHATWG hostname → the form grants and checks compare: no brackets, no trailing dot. */
export function normalizeHostname(hostname: string): string {
  let host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host.toLowerCase();
}

export function formatHttpGrant(grant: HttpGrant): string {
  const host = `${grant.wildcard ? '*.' : ''}${grant.host.includes(':') ? `[${grant.host}]` : grant.host}`;
  const port = grant.port === DEFAULT_PORT[grant.scheme] ? '' : `:${grant.port}`;
  return `${grant.scheme === 'http' ? 'http://' : ''}${host}${port}`;
}

/** The grant entry that would allow exactly this origin. */
export function grantFor(scheme: 'http' | 'https', host: string, port: number): string {
  return formatHttpGrant({ scheme, host, wildcard: false, port });
}

export function grantMatches(grant: HttpGrant, scheme: string, host: string, port: number): boolean {
  if (grant.scheme !== scheme || grant.port !== port) return false;
  return grant.wildcard ? host.endsWith(`.${grant.host}`) : host === grant.host;
}

/** A ∩ B for two grants: the narrower one when one contains the other. */
function intersectOne(a: HttpGrant, b: HttpGrant): HttpGrant | undefined {
  if (a.scheme !== b.scheme || a.port !== b.port) return undefined;
  if (!a.wildcard && !b.wildcard) return a.host === b.host ? a : undefined;
  if (a.wildcard && !b.wildcard) return b.host.endsWith(`.${a.host}`) ? b : undefined;
  if (!a.wildcard && b.wildcard) return a.host.endsWith(`.${b.host}`) ? a : undefined;
  if (a.host === b.host || a.host.endsWith(`.${b.host}`)) return a;
  return b.host.endsWith(`.${a.host}`) ? b : undefined;
}

export const httpPermission: PermissionKind = {
  key: 'http',
  flag: '--allow-http',
  noun: 'http access to',
  normalize: (value) => formatHttpGrant(parseHttpGrant(value)),
  intersect(requested, granted) {
    const out = new Set<string>();
    for (const asked of requested) {
      for (const given of granted) {
        const both = intersectOne(parseHttpGrant(asked), parseHttpGrant(given));
        if (both !== undefined) out.add(formatHttpGrant(both));
      }
    }
    return [...out];
  },
};
