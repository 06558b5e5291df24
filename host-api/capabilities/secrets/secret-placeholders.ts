import type { CallRecord, HostCallContext } from '../../capability.js';
import { permissionDenied } from '../../grants/permission-denied.js';
import { ProvError } from '../../../runtime/errors/index.js';
import { grantFor, grantMatches, parseHttpGrant } from '../http/http-permissions.js';
import { parseSecretGrant, secretsPermission } from './secret-permissions.js';
import { secretValue } from './secrets-capability.js';

const PLACEHOLDER = /\{\{secret:([^{}]*)\}\}/g;
/** In a parsed URL the braces may be percent-encoded (a path) or not (a query). */
export const URL_PLACEHOLDER = /(?:\{|%7B)(?:\{|%7B)secret:([A-Za-z0-9._-]*)(?:\}|%7D)(?:\}|%7D)/gi;

export function hasPlaceholder(text: string, pattern: RegExp = PLACEHOLDER): boolean {
  pattern.lastIndex = 0;
  return pattern.test(text);
}

/** Where a request goes: a bound secret (`NAME@host`) is filled in only for that origin. */
export interface Origin {
  scheme: 'http' | 'https';
  host: string;
  port: number;
}

/**
 * Fills `{{secret:NAME}}` placeholders for a request to `origin`: each name
 * must be in `[permissions] secrets` (exactly), bound to this origin if bound.
 * `encode` turns the value into the form its context needs (URL-encoded in a
 * URL, JSON-escaped in a JSON body).
 */
export function fillPlaceholders(
  text: string,
  origin: Origin,
  call: HostCallContext,
  record: CallRecord,
  encode: (value: string) => string = (value) => value,
  fill = true,
  pattern: RegExp = PLACEHOLDER,
): string {
  return text.replace(pattern, (_match: string, name: string) => {
    const grants = (call.grant.granted.secrets ?? []).map(parseSecretGrant).filter((grant) => grant.name === name);
    const allowed = grants.some((grant) => grant.host === undefined || grantMatches(parseHttpGrant(grant.host), origin.scheme, origin.host, origin.port));
    if (!allowed && grants.length > 0) {
      record.permission = { key: 'secrets', value: name };
      const here = grantFor(origin.scheme, origin.host, origin.port);
      const bound = grants.map((grant) => grant.host).join(', ');
      throw new ProvError('PermissionDenied', `The secret "${name}" is granted only for ${bound}; this request goes to ${here}`, {
        hint: `If ${here} should get it, grant --allow-secret ${name}@${here} (and ask for it in [permissions] secrets).`,
        details: { permission: 'secrets', value: `${name}@${here}`, requested: false },
      });
    }
    if (!allowed) {
      const requested = (call.grant.requested.secrets ?? []).some((entry) => parseSecretGrant(entry).name === name);
      const error = permissionDenied(secretsPermission, name, call.grant, requested && grants.length === 0);
      record.permission = { key: 'secrets', value: name };
      throw error;
    }
    // A check-mode plan checks the grant but needs no value: nothing is sent.
    return fill ? encode(secretValue(name, call)) : _match;
  });
}
