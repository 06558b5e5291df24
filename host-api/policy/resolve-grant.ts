import type { PermissionKind } from '../capability.js';
import { effectiveGrant, ungranted } from '../grants/effective-grant.js';
import type { GrantView } from '../grants/grant-view.js';
import { PERMISSION_KEYS, type PermissionSet } from '../grants/permission-keys.js';
import type { Prompter, PromptItem } from './prompter.js';
import { serverMatches } from '../capabilities/servers/server-permissions.js';
import { LOCAL_SERVER } from '../../runtime/inventory/server-record.js';

export interface ResolveGrantOptions {
  extension: string;
  version: string;
  /** The manifest's [permissions], normalised. */
  requested: PermissionSet;
  /** Policy file + flags, normalised. */
  operator: PermissionSet;
  kinds: ReadonlyMap<string, PermissionKind>;
  prompter: Prompter;
  /** Called with what the operator granted "always": the caller records it in the policy file. */
  recordAlways?: (grant: PermissionSet) => Promise<void>;
  source: string;
  home: string;
}

const WARNINGS: Partial<Record<string, string>> = {
  secrets_read: 'the extension will see this secret\'s value',
  fs_write: 'the extension may create, replace and remove files below it',
  exec: 'runs with the rights of the account prov logs in as on each granted server',
};

/** What granting an item means beyond its words, said in the prompt. */
function warningFor(key: string, value: string): string | undefined {
  if (key === 'servers' && serverMatches(value, LOCAL_SERVER)) {
    return 'includes this machine ("local"): exec and upload there run as you';
  }
  return WARNINGS[key];
}

/**
 * Effective grant = manifest ∩ operator; what the manifest asks for beyond
 * that is put to the prompter, and what it grants is added (never more than
 * the manifest asks for).
 */
export async function resolveGrant(options: ResolveGrantOptions): Promise<GrantView> {
  const { requested, kinds } = options;
  let operator = options.operator;
  let granted = effectiveGrant(requested, operator, kinds);
  const missing = ungranted(requested, granted, kinds);
  const items: PromptItem[] = PERMISSION_KEYS.flatMap((key) =>
    (missing[key] ?? []).map((value) => ({
      key,
      value,
      noun: kinds.get(key)!.noun,
      ...(warningFor(key, value) === undefined ? {} : { warning: warningFor(key, value)! }),
    })),
  );
  if (items.length > 0) {
    const answer = await options.prompter.ask({ extension: options.extension, version: options.version, items });
    if (answer !== 'deny') {
      const added: PermissionSet = {};
      for (const item of items) (added[item.key] ??= []).push(item.value);
      operator = mergeSets(operator, added);
      granted = effectiveGrant(requested, operator, kinds);
      if (answer === 'always') await options.recordAlways?.(added);
    }
  }
  return { requested, granted, operator, source: options.source, home: options.home };
}

export function mergeSets(a: PermissionSet, b: PermissionSet): PermissionSet {
  const out: PermissionSet = {};
  for (const key of PERMISSION_KEYS) {
    const values = [...new Set([...(a[key] ?? []), ...(b[key] ?? [])])];
    if (values.length > 0) out[key] = values;
  }
  return out;
}

/** Each entry in its canonical spelling; a malformed one throws `[message, key, index]`. */
export function normalizeSet(set: PermissionSet, kinds: ReadonlyMap<string, PermissionKind>, home: string, where: (key: string, index: number, message: string) => Error): PermissionSet {
  const out: PermissionSet = {};
  for (const key of PERMISSION_KEYS) {
    const values = set[key];
    if (values === undefined) continue;
    const kind = kinds.get(key);
    out[key] = values.map((value, index) => {
      if (kind === undefined) return value;
      try {
        return kind.normalize(value, home);
      } catch (error) {
        throw where(key, index, (error as Error).message);
      }
    });
  }
  return out;
}
