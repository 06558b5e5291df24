import { PERMISSION_KEYS, type PermissionSet } from '../../host-api/grants/permission-keys.js';
import { escapeControl } from '../data/control-characters.js';

/** A permission set as `key  value` lines, indented: how register and info show grants. */
export function permissionLines(set: PermissionSet, indent = '    ', mark = ''): string[] {
  return PERMISSION_KEYS.flatMap((key) => (set[key] ?? []).map((value) => `${indent}${mark}${key.padEnd(13)} ${escapeControl(value)}`));
}

/** One line for `prov list`: each key with its values, or, when that is wider than `width`, each key with a count. */
export function permissionSummary(set: PermissionSet, width = 72): string {
  const keys = PERMISSION_KEYS.filter((key) => (set[key] ?? []).length > 0);
  if (keys.length === 0) return '(none)';
  const full = escapeControl(keys.map((key) => `${key} ${(set[key] ?? []).join(' ')}`).join('; '));
  return full.length <= width ? full : keys.map((key) => `${key} ×${(set[key] ?? []).length}`).join(', ');
}

export function isEmptySet(set: PermissionSet): boolean {
  return PERMISSION_KEYS.every((key) => (set[key] ?? []).length === 0);
}
