import type { ProvContext } from 'prov/sdk';
import * as z from 'prov/sdk/zod';
import { DEFAULT_API_URL } from './hetzner-request.js';
import { SshKeys } from './schemas.js';

/** Under `[permissions] fs_read = ["~/.config/hetzner"]`; `~` is the operator's home. */
export const SETTINGS_FILE = '~/.config/hetzner/settings.json';

/**
 * The seed's `ProviderSettings`, as far as Hetzner needs it: the API's URL
 * and timeout, and defaults for `create-server`. No `auth`: the token is the
 * secret `hetzner.token`, filled in by the host, never a field in a file.
 */
export const ProviderSettings = z.strictObject({
  /** Where the API lives; an emulator or a proxy in tests. No trailing slash needed. */
  // A regex, not z.url(): the sandbox has no URL global, so z.url() fails every value there.
  api_url: z._default(z.string().check(z.regex(/^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/, 'must be an http(s) URL without user, query or fragment')), DEFAULT_API_URL),
  /** Per request, in milliseconds (the operation's own time limit still applies). */
  timeout_ms: z.optional(z.int().check(z.minimum(1), z.maximum(300_000))),
  defaults: z._default(
    z.strictObject({
      plan: z.optional(z.string()),
      zone: z.optional(z.string()),
      os: z.optional(z.string()),
      ssh_keys: z.optional(SshKeys),
    }),
    {},
  ),
});
export type ProviderSettings = z.output<typeof ProviderSettings>;

/**
 * The operator's settings, or the defaults when there is no settings file.
 * A file that is not JSON or does not fit the schema is an error that names
 * the file and each wrong field: a typo in `api_url` must not silently send
 * requests (and the token) to the real API.
 */
export async function readSettings(ctx: ProvContext): Promise<ProviderSettings> {
  if (!(await ctx.fs.exists(SETTINGS_FILE))) return ProviderSettings.parse({});
  const text = await ctx.fs.readFile(SETTINGS_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(`${SETTINGS_FILE} is not JSON: ${(error as Error).message}`);
  }
  if (typeof raw === 'object' && raw !== null && Object.hasOwn(raw, 'auth')) {
    throw new Error(`${SETTINGS_FILE}: "auth" is not read from a file; give the API token as the secret hetzner.token (PROV_SECRET_HETZNER_TOKEN)`);
  }
  const parsed = ProviderSettings.safeParse(raw);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => `${issue.path.length === 0 ? '(file)' : issue.path.join('.')}: ${describeIssue(issue)}`);
    throw new Error(`${SETTINGS_FILE} is invalid: ${fields.join('; ')}`);
  }
  return { ...parsed.data, api_url: parsed.data.api_url.replace(/\/+$/, '') };
}

/** zod mini carries no message locale (its messages are all "Invalid input"), so the settings file's issues are worded here. */
function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`;
    case 'too_small':
    case 'too_big':
      return `must be ${issue.code === 'too_small' ? 'at least' : 'at most'} ${String(issue.code === 'too_small' ? issue.minimum : issue.maximum)}`;
    default:
      return issue.message;
  }
}
