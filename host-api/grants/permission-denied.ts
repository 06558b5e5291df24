import { escapeControl } from '../../runtime/data/control-characters.js';
import { ProvError } from '../../runtime/errors/index.js';
import type { CallRecord, PermissionKind } from '../capability.js';
import type { GrantView } from './grant-view.js';

/**
 * The denial of one call: names the capability, the value asked for and the
 * exact line or flag that would grant it. `requested` says whether the
 * manifest asks for it (then only the operator's grant is missing).
 */
export function permissionDenied(
  kind: PermissionKind,
  value: string,
  grant: GrantView,
  requested: boolean,
  record?: CallRecord,
): ProvError {
  if (record !== undefined) record.permission = { key: kind.key, value };
  // A denial's stack would only show prov's own frames; not capturing it makes a denial as cheap as an allowed call.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return denial(kind, value, grant, requested);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function denial(kind: PermissionKind, value: string, grant: GrantView, requested: boolean): ProvError {
  const shown = JSON.stringify(escapeControl(value));
  const flag = `${kind.flag} ${shellWord(value)}`;
  if (requested) {
    return new ProvError('PermissionDenied', `Requires ${kind.noun} ${shown}, which metadata.toml asks for but the operator has not granted`, {
      hint: `Run with ${flag}, add it to the policy file, or record it with "prov grant ${grant.source}".`,
      details: { permission: kind.key, value, requested: true },
    });
  }
  return new ProvError('PermissionDenied', `Requires ${kind.noun} ${shown}; metadata.toml does not ask for it`, {
    hint: `Add it to [permissions] in metadata.toml: ${kind.key} = [${shown}]; the operator then grants it with ${flag}.`,
    details: { permission: kind.key, value, requested: false },
  });
}

/** A malformed argument is a denial too (PRODUCT.md §3.1): exit 4, naming what was wrong. */
export function malformed(kind: PermissionKind, message: string): ProvError {
  return new ProvError('PermissionDenied', escapeControl(message), {
    hint: `ctx calls take only their documented arguments; see the ${kind.key} capability in the SDK types.`,
    details: { permission: kind.key, malformed: true },
  });
}

/** A value quoted for a POSIX shell when it needs it, for copy-pasting a flag. */
function shellWord(value: string): string {
  const safe = escapeControl(value);
  return /^[\w@%+=:,./~*-]+$/.test(safe) && !safe.includes('*') ? safe : `'${safe.replace(/'/g, `'\\''`)}'`;
}

/** A path no grant can reach (prov's own state, a pseudo-filesystem): PermissionDenied with its own hint. */
export function refused(kind: PermissionKind, message: string): ProvError {
  return new ProvError('PermissionDenied', escapeControl(message), {
    hint: 'No grant reaches it: prov keeps its own state and the host\'s pseudo-filesystems out of every extension\'s reach.',
    details: { permission: kind.key, refused: true },
  });
}
