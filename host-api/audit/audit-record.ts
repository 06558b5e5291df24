import type { PermissionKey } from '../grants/permission-keys.js';

/** The decision on one gated call. */
export type AuditDecision = 'allowed' | 'denied' | 'planned';

/**
 * One line of the audit log (`$PROV_HOME/audit/audit.jsonl`): every gated
 * call, allowed, denied or planned. Secret values are masked before it is
 * written.
 */
export interface AuditRecord {
  /** ISO 8601, when the call arrived. */
  time: string;
  extension: string;
  version: string;
  /** camelCase operation name; null while the bundle loads. */
  operation: string | null;
  capability: string;
  /** The ctx call: `http.fetch`, `fs.writeFile`, `secrets.get`. */
  call: string;
  /** What it reached or tried to reach: a URL, a path, a secret name. */
  target: string | null;
  /** The grant entry that allows it (or would have), as `[permissions]` spells it. */
  permission: { key: PermissionKey; value: string } | null;
  decision: AuditDecision;
  /** True when an allowed mutating call changed something (check mode: would change). */
  changed: boolean;
  duration_ms: number;
  bytes_in: number;
  bytes_out: number;
  /** The error code the call ended with, if it failed. */
  error: string | null;
  /** The server the operation acted on, if any. */
  server: string | null;
}
