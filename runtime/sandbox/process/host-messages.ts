import type { AuditRecord } from '../../../host-api/audit/audit-record.js';
import type { LogEntry } from '../../../host-api/capability.js';
import type { GrantView } from '../../../host-api/grants/grant-view.js';
import type { SshEnvironment } from '../../../host-api/capabilities/servers/server-transport.js';
import type { ServerRecord } from '../../inventory/server-record.js';
import type { ExtensionDescription } from '../../../host-api/guest-protocol.js';
import type { ExtensionIdentity, Target } from '../../../host-api/sdk/context.js';
import type { ProvErrorJson } from '../../errors/index.js';
import type { JsonOperationResult } from '../extension-sandbox.js';
import type { ResolvedLimits } from '../limits.js';

/**
 * The messages between prov and a sandbox host process (a child that runs one
 * extension's isolate). Sent over Node's IPC channel with the "advanced"
 * (structured clone) serialization. Both sides are prov's own code, but the
 * child runs untrusted code beside it, so the parent checks each message's
 * shape and error code (SandboxHost#check) before it believes it.
 */

/** What the child needs to load an extension. */
export interface LoadRequest {
  code: string;
  sourceMapJson: string;
  filename: string;
  /** Where the build would write the bundle; source-map paths are relative to its folder. */
  outfile: string;
  extensionDir: string;
  identity: ExtensionIdentity;
  limits: ResolvedLimits;
  /** Where V8 code caches are kept; none: in memory only. */
  codeCacheDir?: string;
  /** The effective grant the capabilities check every call against. */
  grant: GrantView;
  /** Values of the granted secrets the operator has (the host process has no environment to read them from). */
  secrets: [string, string][];
  /** The granted servers, and what ssh needs of the operator's environment. */
  servers: ServerRecord[];
  ssh: SshEnvironment;
}

export type ToSandboxHost =
  | { type: 'load'; id: number; load: LoadRequest }
  | { type: 'call'; id: number; operation: string; inputJson: string | undefined; check: boolean; target: Target | null }
  | { type: 'cancel'; id: number }
  | { type: 'describe'; id: number }
  | { type: 'dispose'; id: number };

export type FromSandboxHost =
  | { type: 'reply'; id: number; ok: true; value: ReplyValue }
  | { type: 'reply'; id: number; ok: false; error: ProvErrorJson }
  | { type: 'logs'; entries: LogEntry[] }
  | { type: 'audit'; records: AuditRecord[] };

export type ReplyValue =
  | { kind: 'loaded'; description: ExtensionDescription }
  | { kind: 'described'; description: ExtensionDescription }
  | { kind: 'result'; result: JsonOperationResult };
