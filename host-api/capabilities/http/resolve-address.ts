import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { CallRecord, HostCallContext } from '../../capability.js';
import { ProvError } from '../../../runtime/errors/index.js';
import { malformed } from '../../grants/permission-denied.js';
import { grantFor, httpPermission } from './http-permissions.js';
import type { CheckedUrl } from './request-target.js';
import { specialAddressReason } from './special-addresses.js';
import { hostCallFailed } from '../host-call-failed.js';

/** The IP address prov connects to for a checked URL; nothing else is ever dialled. */
export interface PinnedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * Resolves a checked URL's host and checks every address DNS returns: a
 * loopback, private, link-local, metadata, … address is refused unless the
 * grant names that literal address. A granted *name* that resolves to one is
 * refused. The connection then goes to the address checked here, so a second
 * DNS answer cannot change where it goes (no rebinding window).
 */
export async function resolveAddress(target: CheckedUrl, call: HostCallContext, record: CallRecord): Promise<PinnedAddress> {
  const literal = isIP(target.host);
  if (literal !== 0) {
    const reason = specialAddressReason(target.host);
    if (reason !== undefined && !target.literalGrant) {
      throw addressDenied(target, target.host, reason, `${target.host} is a ${reason} address`, record);
    }
    return { address: target.host, family: literal as 4 | 6 };
  }
  let answers: { address: string; family: number }[];
  try {
    answers = await lookup(target.host, { all: true, verbatim: true });
  } catch (error) {
    throw hostCallFailed(error, `http.fetch: cannot resolve ${target.host}`);
  }
  if (answers.length === 0) throw malformed(httpPermission, `http.fetch: ${target.host} has no address`);
  for (const answer of answers) {
    const reason = specialAddressReason(answer.address);
    if (reason !== undefined) {
      throw addressDenied(target, answer.address, reason, `${target.host} resolves to ${answer.address}, a ${reason} address`, record);
    }
  }
  const first = answers[0]!;
  return { address: first.address, family: first.family as 4 | 6 };
}

/** A special address needs a grant of that literal address; the hint spells it. */
function addressDenied(target: CheckedUrl, address: string, reason: string, what: string, record: CallRecord): ProvError {
  const literal = grantFor(target.scheme, address, target.port);
  record.permission = { key: 'http', value: literal };
  return new ProvError('PermissionDenied', `Requires http access to ${JSON.stringify(target.url.origin)}, but ${what}; prov reaches such an address only when that literal address is granted`, {
    hint: `If ${address} is meant, add ${JSON.stringify(literal)} to [permissions] http in metadata.toml and run with --allow-http ${literal}.`,
    details: { permission: 'http', value: literal, address, reason },
  });
}
