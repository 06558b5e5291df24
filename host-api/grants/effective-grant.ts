import type { PermissionKind } from '../capability.js';
import { PERMISSION_KEYS, type PermissionSet } from './permission-keys.js';

/**
 * Effective grant = what the manifest asks for ∩ what the operator grants,
 * key by key and pattern by pattern: an operator grant wider than the
 * manifest never widens it. A key no capability serves yet grants nothing.
 */
export function effectiveGrant(requested: PermissionSet, operator: PermissionSet, kinds: ReadonlyMap<string, PermissionKind>): PermissionSet {
  const granted: PermissionSet = {};
  for (const key of PERMISSION_KEYS) {
    const kind = kinds.get(key);
    const asked = requested[key] ?? [];
    const given = operator[key] ?? [];
    if (kind === undefined || asked.length === 0 || given.length === 0) continue;
    const both = kind.intersect(asked, given);
    if (both.length > 0) granted[key] = both;
  }
  return granted;
}

/** What the manifest asks for that the effective grant does not cover: what a prompt lists. */
export function ungranted(requested: PermissionSet, granted: PermissionSet, kinds: ReadonlyMap<string, PermissionKind>): PermissionSet {
  const missing: PermissionSet = {};
  for (const key of PERMISSION_KEYS) {
    const kind = kinds.get(key);
    if (kind === undefined) continue;
    const have = granted[key] ?? [];
    const left = (requested[key] ?? []).filter((entry) => kind.intersect([entry], have).length === 0 || !kind.intersect([entry], have).includes(entry));
    if (left.length > 0) missing[key] = left;
  }
  return missing;
}
