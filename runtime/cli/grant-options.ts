import { Command, Option } from 'commander';
import { z } from 'zod';
import type { PermissionSet } from '../../host-api/grants/permission-keys.js';
import { policyGrant, policyLimits, readPolicy, recordGrant, type ExtensionBinding } from '../../host-api/policy/policy-file.js';
import { escapeControl } from '../data/control-characters.js';
import { denyingPrompter, type Prompter } from '../../host-api/policy/prompter.js';
import { mergeSets } from '../../host-api/policy/resolve-grant.js';
import { LIMIT_CAPS, type ResolvedLimits } from '../sandbox/limits.js';
import { defaultPolicyFile } from '../state/prov-home.js';
import type { CommandContext } from './command-context.js';
import { TtyPrompter } from './tty-prompter.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The `--allow-…` flags, like Deno's: each repeatable, each one `[permissions]` key. */
export const GRANT_FLAGS = [
  { flag: '--allow-http', key: 'http', option: 'allowHttp', help: 'grant http access to a host, host:port, http://host or *.suffix' },
  { flag: '--allow-read', key: 'fs_read', option: 'allowRead', help: 'grant reading below a path' },
  { flag: '--allow-write', key: 'fs_write', option: 'allowWrite', help: 'grant writing below a path' },
  { flag: '--allow-secret', key: 'secrets', option: 'allowSecret', help: 'grant {{secret:NAME}} placeholders for a secret (NAME or NAME@host)' },
  { flag: '--allow-secret-read', key: 'secrets_read', option: 'allowSecretRead', help: 'grant reading a secret\'s value (the extension sees it)' },
  { flag: '--allow-server', key: 'servers', option: 'allowServer', help: 'grant a server of the inventory (NAME, tag:TAG or *; "local" runs as you)' },
  { flag: '--allow-exec', key: 'exec', option: 'allowExec', help: 'grant running a program (absolute path) on the granted servers' },
  { flag: '--allow-systemctl', key: 'systemctl', option: 'allowSystemctl', help: 'grant systemctl on a unit or pattern (demo.service, demo*.service)' },
  { flag: '--allow-remote-read', key: 'remote_read', option: 'allowRemoteRead', help: 'grant downloading below a path on the granted servers' },
  { flag: '--allow-remote-write', key: 'remote_write', option: 'allowRemoteWrite', help: 'grant uploading and removing below a path on the granted servers' },
] as const;

export const grantOptionsSchema = z.object({
  allowHttp: z.array(z.string()).optional(),
  allowRead: z.array(z.string()).optional(),
  allowWrite: z.array(z.string()).optional(),
  allowSecret: z.array(z.string()).optional(),
  allowSecretRead: z.array(z.string()).optional(),
  allowServer: z.array(z.string()).optional(),
  allowExec: z.array(z.string()).optional(),
  allowSystemctl: z.array(z.string()).optional(),
  allowRemoteRead: z.array(z.string()).optional(),
  allowRemoteWrite: z.array(z.string()).optional(),
  policy: z.string().optional(),
  prompt: z.boolean().default(true),
});

export type GrantOptions = z.infer<typeof grantOptionsSchema>;

/** Adds the grant flags, --policy and --no-prompt to a command. */
export function addGrantOptions(command: Command): Command {
  for (const { flag, help } of GRANT_FLAGS) command.addOption(new Option(`${flag} <value>`, `${help} (repeatable)`).argParser(collect));
  return command
    .option('--policy <file>', 'the operator policy file (default: $PROV_HOME/policy.toml)')
    .option('--no-prompt', 'never ask: what is not granted is denied (also without a terminal)');
}

/** The flags' grants as a permission set. */
export function flagGrant(options: GrantOptions): PermissionSet {
  const grant: PermissionSet = {};
  for (const { key, option } of GRANT_FLAGS) {
    const values = options[option];
    if (values !== undefined && values.length > 0) grant[key] = values;
  }
  return grant;
}

export interface OperatorSetup {
  grant: PermissionSet;
  limitCaps: ResolvedLimits;
  prompter: Prompter;
  policyFile: string;
  recordAlways: (grant: PermissionSet) => Promise<void>;
}

/** Policy file + flags + prompter, for one extension. A policy entry that does not apply, or applies by name alone, is said on stderr. */
export async function operatorSetup(cli: CommandContext, options: GrantOptions, extension: ExtensionBinding): Promise<OperatorSetup> {
  const { name } = extension;
  const policyFile = options.policy ?? defaultPolicyFile(cli.env);
  const { policy } = await readPolicy(policyFile, options.policy !== undefined);
  const fromPolicy = policyGrant(policy, extension);
  if (fromPolicy.notice !== undefined) cli.io.stderr.write(`note: ${escapeControl(fromPolicy.notice)}\n`);
  const grant = mergeSets(fromPolicy.grant, flagGrant(options));
  const caps = policyLimits(policy, name);
  const limitCaps: ResolvedLimits = {
    ...LIMIT_CAPS,
    ...(caps.memory_mb === undefined ? {} : { memoryMb: Math.min(caps.memory_mb, LIMIT_CAPS.memoryMb) }),
    ...(caps.timeout_ms === undefined ? {} : { timeoutMs: Math.min(caps.timeout_ms, LIMIT_CAPS.timeoutMs) }),
    ...(caps.cpu_ms === undefined ? {} : { cpuMs: Math.min(caps.cpu_ms, LIMIT_CAPS.cpuMs) }),
    ...(caps.host_calls === undefined ? {} : { maxHostCalls: Math.min(caps.host_calls, LIMIT_CAPS.maxHostCalls!) }),
    ...(caps.host_bytes_mb === undefined ? {} : { maxHostBytes: Math.min(caps.host_bytes_mb * 1024 * 1024, LIMIT_CAPS.maxHostBytes!) }),
  };
  const interactive = options.prompt && cli.io.stdin !== undefined && (cli.io.stdin as { isTTY?: boolean }).isTTY === true && (cli.io.stderr as { isTTY?: boolean }).isTTY === true;
  const prompter = interactive ? new TtyPrompter(cli.io.stdin!, cli.io.stderr, policyFile) : denyingPrompter;
  return {
    grant,
    limitCaps,
    prompter,
    policyFile,
    recordAlways: async (added) => {
      await recordGrant(policyFile, extension, added);
    },
  };
}
