import type { PermissionKind } from '../../capability.js';
import { formatHttpGrant, httpPermission, parseHttpGrant } from '../http/http-permissions.js';

/** A secret's name: matched exactly, never folded or resolved. */
const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface SecretGrant {
  name: string;
  /** `NAME@host`: placeholders filled in only on requests to this host. */
  host?: string;
}

export function parseSecretGrant(value: string): SecretGrant {
  const at = value.indexOf('@');
  const name = at === -1 ? value : value.slice(0, at);
  checkSecretName(name);
  if (at === -1) return { name };
  return { name, host: formatHttpGrant(parseHttpGrant(value.slice(at + 1))) };
}

export function checkSecretName(name: string): void {
  if (!SECRET_NAME.test(name) || name.includes('..')) {
    throw new Error(`"${name}" is not a secret name (letters, digits, ".", "_", "-"; starting with a letter or digit)`);
  }
}

function formatSecretGrant(grant: SecretGrant): string {
  return grant.host === undefined ? grant.name : `${grant.name}@${grant.host}`;
}

/** The environment variable a secret is read from: PROV_SECRET_ + the name upper-cased, non-alphanumerics as `_`. */
export function secretEnvName(name: string): string {
  return `PROV_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export const secretsPermission: PermissionKind = {
  key: 'secrets',
  flag: '--allow-secret',
  noun: 'the secret',
  normalize: (value) => formatSecretGrant(parseSecretGrant(value)),
  intersect(requested, granted) {
    const out = new Set<string>();
    for (const asked of requested.map(parseSecretGrant)) {
      for (const given of granted.map(parseSecretGrant)) {
        if (asked.name !== given.name) continue;
        // A host binding on either side narrows the grant; two bindings meet as http patterns do.
        if (asked.host === undefined || given.host === undefined) {
          const host = asked.host ?? given.host;
          out.add(formatSecretGrant({ name: asked.name, ...(host === undefined ? {} : { host }) }));
          continue;
        }
        for (const host of httpPermission.intersect([asked.host], [given.host])) out.add(formatSecretGrant({ name: asked.name, host }));
      }
    }
    return [...out];
  },
};

export const secretsReadPermission: PermissionKind = {
  key: 'secrets_read',
  flag: '--allow-secret-read',
  noun: 'reading the secret',
  normalize(value) {
    checkSecretName(value);
    return value;
  },
  intersect: (requested, granted) => requested.filter((name) => granted.includes(name)),
};
