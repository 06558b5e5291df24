import type { PlainValue } from '../../runtime/data/plain-data.js';
import type { PermissionKind } from '../capability.js';
import { malformed } from '../grants/permission-denied.js';

/**
 * A call's options object, holding only the documented keys: an unknown
 * option (`shell`, `socketPath`, `lookup`, …) is refused, never ignored.
 */
export function takeOptions(raw: PlainValue | undefined, allowed: readonly string[], call: string, kind: PermissionKind): Record<string, PlainValue> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw malformed(kind, `${call}: options must be an object`);
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      throw malformed(kind, `${call}: unknown option "${key}"${allowed.length === 0 ? '' : ` (it takes ${allowed.join(', ')})`}`);
    }
  }
  return raw;
}

/** A `mode` option: permission bits 0–0o777 (no setuid, setgid or sticky), or undefined when not given. */
export function takeMode(options: Record<string, PlainValue>, call: string, kind: PermissionKind): number | undefined {
  const mode = options['mode'];
  if (mode === undefined) return undefined;
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    throw malformed(kind, `${call}: mode must be permission bits between 0 and 0o777`);
  }
  return mode;
}
