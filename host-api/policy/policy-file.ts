import { readFile } from 'node:fs/promises';
import { parse, stringify, TomlError } from 'smol-toml';
import { z } from 'zod';
import { toPlainData } from '../../runtime/data/plain-data.js';
import { ProvError } from '../../runtime/errors/index.js';
import { writeFileAtomic } from '../../runtime/state/atomic-write.js';
import { realPath } from '../../runtime/state/real-path.js';
import { PERMISSION_KEYS, type PermissionKey, type PermissionSet } from '../grants/permission-keys.js';

/**
 * The operator's policy file (`--policy FILE`, default
 * `$PROV_HOME/policy.toml`): caps for every extension and, per extension
 * name, what is granted and lower limits.
 *
 *   [limits]                 # caps on every extension's [limits]
 *   memory_mb = 256
 *   [extensions.hetzner]
 *   type = "provider"          # the entry applies to this type…
 *   dir = "/srv/ext/hetzner"   # …and this directory only
 *   # or: registered = true    # …and the registered extension of that name
 *   http = ["api.hetzner.cloud"]
 *   secrets = ["hetzner.token"]
 *   [extensions.hetzner.limits]
 *   timeout_ms = 10000
 */
const limitsSchema = z.strictObject({
  memory_mb: z.int().min(8).optional(),
  timeout_ms: z.int().min(1).optional(),
  cpu_ms: z.int().min(1).optional(),
  host_calls: z.int().min(1).optional(),
  host_bytes_mb: z.int().min(1).optional(),
});

const grantShape = Object.fromEntries(PERMISSION_KEYS.map((key) => [key, z.array(z.string()).optional()])) as Record<PermissionKey, z.ZodOptional<z.ZodArray<z.ZodString>>>;

const extensionPolicySchema = z.strictObject({
  ...grantShape,
  /** The entry applies only to an extension of this type… */
  type: z.enum(['provider', 'taskserv', 'cluster']).optional(),
  /** …and only to the extension in this directory (`prov grant <dir>` records both)… */
  dir: z.string().optional(),
  /** …or to the registered extension of that name and type, whichever version (`prov grant <name>`). */
  registered: z.boolean().optional(),
  limits: limitsSchema.optional(),
}).refine((entry) => !(entry.registered === true && entry.dir !== undefined), {
  // Read as either one alone, the entry would be wider than it says: refused instead.
  message: 'registered = true and dir cannot both be set: registered = true follows the registered extension from any directory, dir binds the entry to one directory (prov grant writes one or the other)',
});

export const policySchema = z.strictObject({
  limits: limitsSchema.optional(),
  extensions: z.record(z.string(), extensionPolicySchema).optional(),
});

export type Policy = z.infer<typeof policySchema>;
export type PolicyLimits = z.infer<typeof limitsSchema>;

export interface LoadedPolicy {
  file: string;
  policy: Policy;
}

/** Reads a policy file; a missing default file is an empty policy, a missing `--policy` file an error. */
export async function readPolicy(file: string, required: boolean): Promise<LoadedPolicy> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !required) return { file, policy: {} };
    throw new ProvError('FileNotFound', `Cannot read the policy file ${file}`, { hint: 'Give --policy an existing TOML file, or record grants with "prov grant".' });
  }
  let raw: unknown;
  try {
    raw = toPlainData(parse(source));
  } catch (error) {
    const where = error instanceof TomlError ? `:${error.line}:${error.column}` : '';
    throw new ProvError('PolicyInvalid', `${file}${where}: ${(error as Error).message.split('\n')[0]}`, { hint: 'Fix the TOML at that position.' });
  }
  const result = policySchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
    throw new ProvError('PolicyInvalid', `${file} is not a valid policy:\n${lines.join('\n')}`, {
      hint: 'A policy has [limits] and [extensions.<name>] tables with permission lists (http, fs_read, …) and [extensions.<name>.limits].',
    });
  }
  return { file, policy: result.data };
}

/** Which extension a policy entry is for: a name alone could be claimed by any directory. */
export interface ExtensionBinding {
  name: string;
  type: 'provider' | 'taskserv' | 'cluster';
  /** The extension's directory, links resolved (a registered one: the directory it was registered from). */
  dir: string;
  /** Run from the registry (its stored, hash-checked bundle) rather than from its directory. */
  registered?: boolean;
}

export interface PolicyGrant {
  grant: PermissionSet;
  /** Why the entry for this name was not applied, or that it applies by name alone. */
  notice?: string;
}

/**
 * The operator's grant for one extension in this policy. An entry bound to a
 * type or directory applies only to that one; an entry with neither applies
 * to any extension of that name, and the notice says so.
 */
export function policyGrant(policy: Policy, extension: ExtensionBinding): PolicyGrant {
  const entry = policy.extensions?.[extension.name];
  const grant: PermissionSet = {};
  if (entry === undefined) return { grant };
  if (entry.type !== undefined && entry.type !== extension.type) {
    return { grant, notice: `the policy's [extensions.${extension.name}] is for a ${entry.type}, not this ${extension.type}: not applied` };
  }
  if (entry.registered === true) {
    // Registering is the operator's act: the grant follows the registered extension from version to version.
    if (extension.registered !== true) {
      return { grant, notice: `the policy's [extensions.${extension.name}] is for the registered ${extension.name}, not the directory ${extension.dir}: not applied (run it by name, or prov grant ${extension.dir})` };
    }
  } else if (entry.dir !== undefined && realPath(entry.dir) !== extension.dir) {
    const fix = extension.registered === true ? `prov grant ${extension.name} binds it to the registered one` : `prov grant ${extension.dir} binds it here`;
    return { grant, notice: `the policy's [extensions.${extension.name}] is bound to ${entry.dir}, not ${extension.dir}: not applied (${fix})` };
  }
  for (const key of PERMISSION_KEYS) {
    const values = entry[key];
    if (values !== undefined) grant[key] = [...values];
  }
  if (entry.dir === undefined && entry.registered !== true) {
    return { grant, notice: `the policy's [extensions.${extension.name}] names no dir: it applies to any extension called ${extension.name} (prov grant records one)` };
  }
  return { grant };
}


/** The limit caps for one extension: the policy's global caps, lowered by its own entry. */
export function policyLimits(policy: Policy, extension: string): PolicyLimits {
  const global = policy.limits ?? {};
  const own = policy.extensions?.[extension]?.limits ?? {};
  const lower = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
  const memory = lower(global.memory_mb, own.memory_mb);
  const timeout = lower(global.timeout_ms, own.timeout_ms);
  const cpu = lower(global.cpu_ms, own.cpu_ms);
  const calls = lower(global.host_calls, own.host_calls);
  const bytes = lower(global.host_bytes_mb, own.host_bytes_mb);
  return {
    ...(calls === undefined ? {} : { host_calls: calls }),
    ...(bytes === undefined ? {} : { host_bytes_mb: bytes }),
    ...(memory === undefined ? {} : { memory_mb: memory }),
    ...(timeout === undefined ? {} : { timeout_ms: timeout }),
    ...(cpu === undefined ? {} : { cpu_ms: cpu }),
  };
}

/**
 * Adds grants for one extension to the policy file, bound to its type and
 * directory (or, for a registered extension, to the registered one),
 * written atomically (comments in the file are not kept: it is
 * rewritten from its data). An entry bound to another directory is replaced,
 * not merged: grants given to one extension never pass to another.
 */
/**
 * Removes the grants bound to a registered extension (`registered = true`)
 * of this name and type: an unregistered extension's grants must not pass to
 * whatever is registered under its name next. Entries bound to a directory
 * stay. Returns whether anything was removed.
 */
export async function revokeRegisteredGrant(file: string, name: string, type: ExtensionBinding['type']): Promise<boolean> {
  const { policy } = await readPolicy(file, false);
  const entry = policy.extensions?.[name];
  if (entry?.registered !== true || (entry.type !== undefined && entry.type !== type)) return false;
  const { [name]: _removed, ...extensions } = policy.extensions!;
  const next: Policy = { ...policy, extensions };
  await writeFileAtomic(file, `# prov policy: what the operator grants each extension (prov grant writes this file)\n${stringify(next)}\n`);
  return true;
}

export async function recordGrant(file: string, extension: ExtensionBinding, grant: PermissionSet): Promise<Policy> {
  const { policy } = await readPolicy(file, false);
  const extensions = { ...(policy.extensions ?? {}) };
  const previous = extensions[extension.name];
  const sameBinding = extension.registered === true
    ? previous?.registered === true || (previous?.registered === undefined && (previous?.dir === undefined || realPath(previous.dir) === extension.dir))
    : previous?.registered !== true && (previous?.dir === undefined || realPath(previous.dir) === extension.dir);
  const sameExtension = previous !== undefined && sameBinding && (previous.type === undefined || previous.type === extension.type);
  const { dir: _dir, registered: _registered, ...kept } = sameExtension ? previous : previous?.limits === undefined ? {} : { limits: previous.limits };
  const binding = extension.registered === true ? { registered: true } : { dir: extension.dir };
  const entry: z.infer<typeof extensionPolicySchema> = { ...kept, type: extension.type, ...binding };
  for (const key of PERMISSION_KEYS) {
    const adding = grant[key] ?? [];
    if (adding.length === 0) continue;
    entry[key] = [...new Set([...(entry[key] ?? []), ...adding])];
  }
  extensions[extension.name] = entry;
  const next: Policy = { ...policy, extensions };
  await writeFileAtomic(file, `# prov policy: what the operator grants each extension (prov grant writes this file)\n${stringify(next)}\n`);
  return next;
}
