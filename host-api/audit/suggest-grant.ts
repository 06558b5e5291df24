import { isWithin } from '../capabilities/fs/fs-permissions.js';
import { PERMISSION_KEYS, type PermissionKey, type PermissionSet } from '../grants/permission-keys.js';
import type { AuditRecord } from './audit-record.js';

export interface GrantSuggestion {
  extension: string;
  /** Audit records it was built from. */
  calls: number;
  denied: number;
  /** The smallest `[permissions]` that would have allowed every call. */
  permissions: PermissionSet;
}

/** Keys whose entries are paths: a path below another listed path adds nothing. */
const PATH_KEYS = new Set<PermissionKey>(['fs_read', 'fs_write', 'remote_read', 'remote_write']);

/**
 * The least grant that would have allowed what an extension asked for, from
 * its audit records (allowed, planned and denied alike): each call records the
 * narrowest grant entry that allows exactly it (an origin, a path, a name).
 */
export function suggestGrant(extension: string, records: readonly AuditRecord[]): GrantSuggestion {
  const byKey = new Map<PermissionKey, Set<string>>();
  let calls = 0;
  let denied = 0;
  for (const record of records) {
    if (record.extension !== extension) continue;
    calls++;
    if (record.decision === 'denied') denied++;
    if (record.permission === null) continue;
    const values = byKey.get(record.permission.key) ?? new Set<string>();
    values.add(record.permission.value);
    byKey.set(record.permission.key, values);
  }
  const permissions: PermissionSet = {};
  for (const key of PERMISSION_KEYS) {
    const values = [...(byKey.get(key) ?? [])].sort();
    if (values.length === 0) continue;
    permissions[key] = PATH_KEYS.has(key) ? values.filter((value) => !values.some((other) => other !== value && isWithin(other, value))) : values;
  }
  return { extension, calls, denied, permissions };
}
