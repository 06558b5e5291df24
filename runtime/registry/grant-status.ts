import { permissionKinds } from '../../host-api/capabilities/index.js';
import { effectiveGrant, ungranted } from '../../host-api/grants/effective-grant.js';
import type { PermissionSet } from '../../host-api/grants/permission-keys.js';
import { policyGrant, readPolicy } from '../../host-api/policy/policy-file.js';
import { normalizeSet } from '../../host-api/policy/resolve-grant.js';
import { ProvError } from '../errors/index.js';
import type { LoadedManifest } from '../manifest/read-manifest.js';
import { requestedPermissions } from '../manifest/requested-permissions.js';

/** An extension's permissions side by side: what it asks for, what the operator's policy grants of it, what stays denied. */
export interface GrantStatus {
  requested: PermissionSet;
  granted: PermissionSet;
  notGranted: PermissionSet;
  /** Why the policy's entry for this name does not apply, or applies by name alone. */
  notice?: string;
}

/** The grant status of a registered extension under a policy file (flags and prompts are per run, so not counted). */
export async function grantStatus(loaded: LoadedManifest, dir: string, policyFile: string, policyRequired: boolean, home: string): Promise<GrantStatus> {
  const { name, type } = loaded.manifest.extension;
  const requested = requestedPermissions(loaded, home);
  const { policy } = await readPolicy(policyFile, policyRequired);
  const fromPolicy = policyGrant(policy, { name, type, dir, registered: true });
  const operator = normalizeSet(fromPolicy.grant, permissionKinds, home, (key, index, message) =>
    new ProvError('PolicyInvalid', `${policyFile}: [extensions.${name}] ${key}[${index}] is malformed: ${message}`, { hint: 'See the grant grammar in PRODUCT.md §3.1.' }),
  );
  const granted = effectiveGrant(requested, operator, permissionKinds);
  return { requested, granted, notGranted: ungranted(requested, granted, permissionKinds), ...(fromPolicy.notice === undefined ? {} : { notice: fromPolicy.notice }) };
}

/** What `after` asks for that `before` did not cover, and what it no longer asks for. */
export function permissionChanges(before: PermissionSet, after: PermissionSet): { added: PermissionSet; removed: PermissionSet } {
  return { added: ungranted(after, before, permissionKinds), removed: ungranted(before, after, permissionKinds) };
}
