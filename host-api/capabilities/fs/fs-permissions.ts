import path from 'node:path';
import type { PermissionKind } from '../../capability.js';

/** `~/x` → the operator's home; anything else must be absolute. Lexical only: `..` resolved, links not. */
export function expandPath(value: string, home: string): string {
  if (value.includes('\0')) throw new Error('a path cannot contain a NUL byte');
  const expanded = value === '~' ? home : value.startsWith('~/') ? path.join(home, value.slice(2)) : value;
  if (!path.isAbsolute(expanded)) throw new Error(`"${value}" is not an absolute path (or ~/…)`);
  return path.resolve(expanded);
}

/**
 * `child` is `root` or below it, as paths (/etc2 is not under /etc). Both must
 * be normalised absolute paths (path.resolve or realpath output), which every
 * caller passes: then a prefix test on whole components is exact.
 */
export function isWithin(root: string, child: string): boolean {
  if (child === root) return true;
  const prefix = root.endsWith('/') ? root : `${root}/`;
  return child.startsWith(prefix);
}

/** Roots intersect as paths: the narrower of two nested roots; unrelated roots grant nothing. */
function intersectRoots(requested: readonly string[], granted: readonly string[]): string[] {
  const out = new Set<string>();
  for (const asked of requested) {
    for (const given of granted) {
      if (isWithin(given, asked)) out.add(asked);
      else if (isWithin(asked, given)) out.add(given);
    }
  }
  return [...out];
}

function rootKind(key: 'fs_read' | 'fs_write', flag: string, noun: string): PermissionKind {
  return { key, flag, noun, normalize: expandPath, intersect: intersectRoots };
}

export const fsReadPermission = rootKind('fs_read', '--allow-read', 'read access to');
export const fsWritePermission = rootKind('fs_write', '--allow-write', 'write access to');
