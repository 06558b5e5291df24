import path from 'node:path';
import type { PermissionKind } from '../../capability.js';

/**
 * `[permissions] servers`: inventory names, `tag:T`, or `*`. Two entries
 * that do not contain one another intersect as a conjunction `a&b` (a
 * server must match both): `tag:web` ∩ `web-1` is web-1 only if it has the
 * tag, which only the inventory knows.
 */
const SERVER_ENTRY = /^(\*|tag:[a-z0-9][a-z0-9._-]{0,62}|[a-z0-9][a-z0-9._-]{0,62})$/;

export interface ServerFacts {
  name: string;
  tags: readonly string[];
}

function matchesOne(entry: string, server: ServerFacts): boolean {
  if (entry === '*') return true;
  if (entry.startsWith('tag:')) return server.tags.includes(entry.slice(4));
  return entry === server.name;
}

/** Whether a (possibly conjoined) servers entry allows this server. */
export function serverMatches(entry: string, server: ServerFacts): boolean {
  return entry.split('&').every((part) => matchesOne(part, server));
}

function conjoin(a: string, b: string): string {
  if (a === b || b === '*') return a;
  if (a === '*') return b;
  // Two different names can never both match.
  const names = [...a.split('&'), ...b.split('&')].filter((part) => part !== '*' && !part.startsWith('tag:'));
  if (new Set(names).size > 1) return '';
  return [...new Set([...a.split('&'), ...b.split('&')])].sort().join('&');
}

export const serversPermission: PermissionKind = {
  key: 'servers',
  flag: '--allow-server',
  noun: 'the server',
  normalize(value) {
    if (!SERVER_ENTRY.test(value)) throw new Error(`"${value}" is not a server name, tag:TAG or *`);
    return value;
  },
  intersect(requested, granted) {
    const out = new Set<string>();
    for (const asked of requested) for (const given of granted) {
      const both = conjoin(asked, given);
      if (both !== '') out.add(both);
    }
    return [...out];
  },
};

/** An absolute program path, normalised (`/bin/../bin/sh` → `/bin/sh`, `//bin/sh` → `/bin/sh`). */
export function normalizeProgram(value: string): string {
  if (value.includes('\0')) throw new Error('a program path cannot contain a NUL byte');
  if (!value.startsWith('/')) throw new Error(`"${value}" is not an absolute program path`);
  const normal = path.posix.normalize(value).replace(/^\/+/, '/');
  if (normal.endsWith('/')) throw new Error(`"${value}" names a directory, not a program`);
  return normal;
}

export const execPermission: PermissionKind = {
  key: 'exec',
  flag: '--allow-exec',
  noun: 'running the program',
  normalize: (value) => normalizeProgram(value),
  intersect: (requested, granted) => requested.filter((program) => granted.includes(program)),
};
