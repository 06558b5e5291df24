import type { PlainValue } from '../../../runtime/data/plain-data.js';
import { ProvError } from '../../../runtime/errors/index.js';
import type { CallRecord, Capability, HostCallContext } from '../../capability.js';
import { malformed, permissionDenied } from '../../grants/permission-denied.js';
import { secretEnvName, secretsPermission, secretsReadPermission } from './secret-permissions.js';

/** The value of a secret the operator's source has, or SecretNotFound saying where to put it. */
export function secretValue(name: string, call: HostCallContext): string {
  const value = call.secrets.get(name);
  if (value === undefined) {
    throw new ProvError('SecretNotFound', `The secret "${name}" is granted but the operator has not provided it`, {
      hint: `Set ${secretEnvName(name)} in the environment, or add "${name}" to the secrets file ($PROV_HOME/secrets.toml, mode 0600).`,
    });
  }
  return value;
}

async function getCall([name]: PlainValue[], call: HostCallContext, record: CallRecord): Promise<PlainValue> {
  if (typeof name !== 'string') throw malformed(secretsReadPermission, 'secrets.get(name) takes a secret name (a string)');
  record.target = name;
  const granted = call.grant.granted.secrets_read ?? [];
  if (!granted.includes(name)) {
    const requested = (call.grant.requested.secrets_read ?? []).includes(name);
    throw permissionDenied(secretsReadPermission, name, call.grant, requested, record);
  }
  record.permission = { key: 'secrets_read', value: name };
  return secretValue(name, call);
}

/**
 * `ctx.secrets.get(name)` for `secrets_read` names; the `secrets` grant
 * itself is used by the http capability's placeholders.
 */
export const secretsCapability = {
  name: 'secrets',
  alwaysGranted: false,
  permissions: [secretsPermission, secretsReadPermission],
  calls: { 'secrets.get': getCall },
} satisfies Capability;
