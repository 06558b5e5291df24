import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import path from 'node:path';
import type { CallRecord, HostCallContext, PermissionKind } from '../../capability.js';
import { malformed, permissionDenied, refused } from '../../grants/permission-denied.js';
import { hostCallFailed } from '../host-call-failed.js';
import { expandPath, fsReadPermission, fsWritePermission, isWithin } from './fs-permissions.js';

declare const checked: unique symbol;

/**
 * Proof that a path was checked against the grant: the only type the fs
 * calls open. `real` has every symbolic link resolved and lies under `root`
 * (also resolved); `lexical` is the path as the extension meant it.
 */
export interface CheckedPath {
  readonly [checked]: true;
  readonly lexical: string;
  readonly real: string;
  readonly root: string;
  readonly access: 'read' | 'write';
}

/** Pseudo-filesystems: not files, whatever a grant says (their "files" are the host's own state). */
const SPECIAL_ROOTS = ['/proc', '/sys', '/dev'];
const MAX_PATH_CHARS = 4096;

export function accessKind(access: 'read' | 'write'): PermissionKind {
  return access === 'read' ? fsReadPermission : fsWritePermission;
}

/**
 * Checks `raw` for `access`: lexically under a granted root, and still under
 * that root (resolved) once every symbolic link on the way is resolved. For
 * `leaf: 'link'` the last component is not followed (remove acts on a link,
 * not on what it points to).
 */
export async function checkPath(
  raw: unknown,
  access: 'read' | 'write',
  call: HostCallContext,
  record: CallRecord,
  leaf: 'follow' | 'link' = 'follow',
): Promise<CheckedPath> {
  const kind = accessKind(access);
  if (typeof raw !== 'string' || raw === '') throw malformed(kind, `a path must be a non-empty string, got ${describe(raw)}`);
  if (raw.length > MAX_PATH_CHARS) throw malformed(kind, `a path is at most ${MAX_PATH_CHARS} characters`);
  let lexical: string;
  try {
    lexical = expandPath(raw, call.grant.home);
  } catch (error) {
    throw malformed(kind, (error as Error).message);
  }
  record.target = lexical;
  const roots = call.grant.granted[kind.key] ?? [];
  const root = roots.find((candidate) => isWithin(candidate, lexical));
  if (root === undefined) {
    const requested = (call.grant.requested[kind.key] ?? []).some((candidate) => isWithin(candidate, lexical));
    throw permissionDenied(kind, lexical, call.grant, requested, record);
  }
  // The audit names the path itself: `prov audit --suggest` builds the least grant from it.
  record.permission = { key: kind.key, value: lexical };
  let realRoot: string;
  let real: string;
  try {
    realRoot = resolveRoot(root);
    real =
      leaf === 'link' && lexical !== root
        ? path.join(resolveExisting(path.dirname(lexical)), path.basename(lexical))
        : resolveExisting(lexical);
  } catch (error) {
    throw hostCallFailed(error, lexical); // ELOOP, EACCES on the way
  }
  // Inside the effective root's real path, and inside the real paths of the manifest's and the operator's
  // roots it came from: a root that is itself a link must not lead out of the other side's root.
  const boundedBy = (roots: readonly string[] | undefined) =>
    roots === undefined || roots.some((candidate) => isWithin(candidate, lexical) && isWithin(resolveRoot(candidate), real));
  let inside: boolean;
  try {
    inside = isWithin(realRoot, real) && boundedBy(call.grant.requested[kind.key]) && boundedBy(call.grant.operator?.[kind.key]);
  } catch (error) {
    throw hostCallFailed(error, lexical);
  }
  if (!inside) {
    throw permissionDenied(kind, real, call.grant, false, record);
  }
  if ((call.grant.reserved ?? []).some((reserved) => isWithin(reserved, real))) {
    throw refused(kind, `${lexical} is prov's own state ($PROV_HOME, the secrets or policy file); no extension reaches it`);
  }
  if (SPECIAL_ROOTS.some((special) => isWithin(special, real))) {
    throw refused(kind, `${real} is on a pseudo-filesystem (/proc, /sys, /dev); prov never opens those`);
  }
  return { lexical, real, root: realRoot, access } as CheckedPath;
}

/** Granted roots that exist, resolved once: a root is fixed for the life of the grant. */
const resolvedRoots = new Map<string, string>();

function resolveRoot(root: string): string {
  const known = resolvedRoots.get(root);
  if (known !== undefined) return known;
  const real = resolveExisting(root);
  if (existsAsIs(root)) resolvedRoots.set(root, real);
  return real;
}

function existsAsIs(file: string): boolean {
  try {
    realpathSync.native(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves every link in the existing part of `target` and appends the part
 * that does not exist yet. A dangling link is followed by hand: writing
 * through it would create its target, wherever that is. Synchronous on
 * purpose: realpath and lstat never block on what they look at (a FIFO is
 * not opened), and a thread-pool hop per step would triple a check's cost.
 */
function resolveExisting(target: string, hops = 0): string {
  if (hops > 40) throw Object.assign(new Error(`too many levels of symbolic links at ${target}`), { code: 'ELOOP' });
  const rest: string[] = [];
  let current = target;
  for (;;) {
    try {
      return path.join(realpathSync.native(current), ...rest.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
      if (isLink(current)) {
        const pointsTo = path.resolve(path.dirname(current), readlinkSync(current));
        return resolveExisting(path.join(pointsTo, ...rest.reverse()), hops + 1);
      }
      const parent = path.dirname(current);
      if (parent === current) return path.join(current, ...rest.reverse());
      rest.push(path.basename(current));
      current = parent;
    }
  }
}

function isLink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * After opening: the file descriptor really is under the checked root (a
 * link swapped in between the check and the open would show here).
 */
export async function confirmOpened(fd: number, checkedPath: CheckedPath, call: HostCallContext, record: CallRecord): Promise<void> {
  const opened = await readlink(`/proc/self/fd/${fd}`);
  if (!isWithin(checkedPath.root, opened)) {
    throw permissionDenied(accessKind(checkedPath.access), opened, call.grant, false, record);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'an empty string' : `a ${typeof value}`;
}
