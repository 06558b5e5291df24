import path from 'node:path';
import type { PermissionKind } from '../../capability.js';
import { isWithin } from '../fs/fs-permissions.js';

/** A path on a server: absolute, `..` resolved lexically, no NUL. Links are resolved on the server. */
export function normalizeRemotePath(value: string): string {
  if (value.includes('\0')) throw new Error('a path cannot contain a NUL byte');
  // A newline would split the server's answer about the path (realpath's output) into two.
  if (/[\x01-\x1f\x7f]/.test(value)) throw new Error('a remote path cannot contain control characters (newline, tab, …)');
  if (!value.startsWith('/')) throw new Error(`"${value}" is not an absolute path`);
  return path.posix.resolve(value);
}

function intersectRoots(requested: readonly string[], granted: readonly string[]): string[] {
  const out = new Set<string>();
  for (const asked of requested) for (const given of granted) {
    if (isWithin(given, asked)) out.add(asked);
    else if (isWithin(asked, given)) out.add(given);
  }
  return [...out];
}

function remoteKind(key: 'remote_read' | 'remote_write', flag: string, noun: string): PermissionKind {
  return { key, flag, noun, normalize: (value) => normalizeRemotePath(value), intersect: intersectRoots };
}

export const remoteReadPermission = remoteKind('remote_read', '--allow-remote-read', 'reading on the server');
export const remoteWritePermission = remoteKind('remote_write', '--allow-remote-write', 'writing on the server');
