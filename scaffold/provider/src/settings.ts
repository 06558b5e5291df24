import type { ProvContext } from 'prov/sdk';
import * as z from 'prov/sdk/zod';
import { SshKeys } from './schemas.js';

/** Under `[permissions] fs_read = ["~/.config/{{name}}"]`; `~` is the operator's home. */
export const SETTINGS_FILE = '~/.config/{{name}}/settings.json';

/** The API every request goes to unless settings.json's `api.base_url` says otherwise. */
export const DEFAULT_BASE_URL = 'https://api.acme.example/v1';

/**
 * The seed's `ProviderSettings`: the API, defaults for `create-server`, and
 * how long `wait` polls. No `auth`: the token is the secret `{{name}}.token`,
 * filled in by the host, never a field in a file.
 */
export const ProviderSettings = z.strictObject({
  api: z.prefault(
    z.strictObject({
      // A regex, not z.url(): the sandbox has no URL global, so z.url() fails every value there.
      base_url: z._default(z.string().check(z.regex(/^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?$/, 'must be an http(s) URL without user, query or fragment')), DEFAULT_BASE_URL),
      /** Per request, in milliseconds (the operation's own time limit still applies). */
      timeout_ms: z.optional(z.int().check(z.minimum(1), z.maximum(300_000))),
    }),
    {},
  ),
  defaults: z.prefault(
    z.strictObject({
      plan: z.optional(z.string()),
      zone: z.optional(z.string()),
      os: z.optional(z.string()),
      ssh_keys: z.optional(SshKeys),
      /** The login user the cloud's images create; what get-ssh-access reports. */
      ssh_user: z._default(z.string().check(z.regex(/^[a-z_][a-z0-9_-]{0,31}$/)), 'root'),
    }),
    {},
  ),
  wait: z.prefault(
    z.strictObject({
      /** How long `wait: true` polls before giving up (never past the operation's deadline). */
      timeout_ms: z._default(z.int().check(z.minimum(0), z.maximum(3_600_000)), 300_000),
      /** Pause between two polls. */
      interval_ms: z._default(z.int().check(z.minimum(10), z.maximum(60_000)), 5_000),
    }),
    {},
  ),
});
export type ProviderSettings = z.output<typeof ProviderSettings>;

/**
 * The operator's settings, or the defaults when there is no settings file.
 * A file that is not JSON or does not fit the schema is an error naming the
 * file and each wrong field: a typo in `base_url` must not silently send
 * requests (and the token) somewhere else.
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
  const parsed = ProviderSettings.safeParse(raw);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => `${issue.path.length === 0 ? '(file)' : issue.path.join('.')}: ${describeIssue(issue)}`);
    throw new Error(`${SETTINGS_FILE} is invalid: ${fields.join('; ')}`);
  }
  const settings = parsed.data;
  return { ...settings, api: { ...settings.api, base_url: settings.api.base_url.replace(/\/+$/, '') } };
}

/** zod mini carries no message locale (its messages are all "Invalid input"), so the issues are worded here. */
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
