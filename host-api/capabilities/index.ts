import type { Capability, PermissionKind } from '../capability.js';
import { fsCapability } from './fs/fs-capability.js';
import { httpCapability } from './http/http-capability.js';
import { logCapability } from './log-capability.js';
import { secretsCapability } from './secrets/secrets-capability.js';
import { sleepCapability } from './sleep-capability.js';
import { serversCapability } from './servers/servers-capability.js';
import { systemctlCapability } from './systemctl/systemctl-capability.js';

/** Every capability of the host API. Adding one is adding its file and a line here. */
export const capabilities = {
  log: logCapability,
  sleep: sleepCapability,
  http: httpCapability,
  fs: fsCapability,
  secrets: secretsCapability,
  servers: serversCapability,
  systemctl: systemctlCapability,
} satisfies Record<string, Capability>;

export type CapabilityName = keyof typeof capabilities;

/** The `[permissions]` keys some capability serves, by key. */
export const permissionKinds: ReadonlyMap<string, PermissionKind> = new Map(
  Object.values(capabilities as Record<string, Capability>).flatMap((capability) => (capability.permissions ?? []).map((kind) => [kind.key, kind] as const)),
);
