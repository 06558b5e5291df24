import { Command } from 'commander';
import { stringify } from 'smol-toml';
import { z } from 'zod';
import { permissionKinds } from '../../../host-api/capabilities/index.js';
import { PERMISSION_KEYS, type PermissionSet } from '../../../host-api/grants/permission-keys.js';
import { recordGrant } from '../../../host-api/policy/policy-file.js';
import { normalizeSet } from '../../../host-api/policy/resolve-grant.js';
import { escapeLines } from '../../data/control-characters.js';
import { ProvError } from '../../errors/index.js';
import { resolveExtension } from '../../extension/extension-source.js';
import { EXTENSION_KINDS } from '../../manifest/manifest-schema.js';
import { requestedPermissions } from '../../manifest/requested-permissions.js';
import { defaultPolicyFile } from '../../state/prov-home.js';
import type { CommandContext } from '../command-context.js';
import { addGrantOptions, flagGrant, grantOptionsSchema } from '../grant-options.js';
import { printJsonSuccess } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { TtyPrompter } from '../tty-prompter.js';
import os from 'node:os';

const optionsSchema = grantOptionsSchema.extend({
  yes: z.boolean().default(false),
  json: z.boolean().default(false),
  type: z.enum(EXTENSION_KINDS).optional(),
});

/**
 * `prov grant <name|dir>`: records grants for an extension in the policy file —
 * what its manifest asks for (after a prompt, or with --yes), or only what
 * the --allow-… flags name.
 */
export function grantCommand(cli: CommandContext): Command {
  return addGrantOptions(new Command('grant'))
    .description('record what an extension may reach in the operator policy file')
    .argument('<extension>', 'a registered name, or an extension directory (./name)')
    .option('--yes', 'grant everything metadata.toml asks for, without asking')
    .option('--type <type>', 'provider, taskserv or cluster, when a registered name is more than one')
    .option('--json', 'print one JSON document on stdout')
    .action(async (dir: string, raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      cli.json = options.json;
      const source = await resolveExtension(dir, { env: cli.env, ...(options.type === undefined ? {} : { type: options.type }) });
      const { loaded } = source;
      const name = loaded.manifest.extension.name;
      const home = os.homedir();
      const requested = requestedPermissions(loaded, home);
      const policyFile = options.policy ?? defaultPolicyFile(cli.env);
      const flags = normalizeSet(flagGrant(options), permissionKinds, home, (key, index, message) =>
        new ProvError('Usage', `--allow-… value for ${key} is malformed: ${message}`, { hint: 'See the grant grammar in PRODUCT.md §3.1.' }),
      );
      let grant: PermissionSet;
      if (Object.keys(flags).length > 0) grant = flags;
      else if (options.yes) grant = requested;
      else if (options.prompt && (cli.io.stdin as { isTTY?: boolean } | undefined)?.isTTY && (cli.io.stderr as { isTTY?: boolean }).isTTY) {
        const items = PERMISSION_KEYS.flatMap((key) => (requested[key] ?? []).map((value) => ({ key, value, noun: permissionKinds.get(key)?.noun ?? key })));
        if (items.length === 0) throw new ProvError('Usage', `${name} asks for no permissions; there is nothing to grant`);
        const answer = await new TtyPrompter(cli.io.stdin!, cli.io.stderr, policyFile).ask({ extension: name, version: loaded.manifest.extension.version, items });
        grant = answer === 'deny' ? {} : requested;
      } else {
        throw new ProvError('Usage', 'prov grant needs --yes (everything metadata.toml asks for) or --allow-… flags when there is no terminal to ask on', {
          hint: `prov grant ${dir} --yes, or prov grant ${dir} --allow-http api.example.com`,
        });
      }
      if (Object.keys(grant).length > 0) await recordGrant(policyFile, { name, type: loaded.manifest.extension.type, dir: source.dir, registered: source.origin === 'registry' }, grant);
      if (options.json) {
        printJsonSuccess(cli.io, { result: { extension: name, policy: policyFile, granted: grant as Record<string, string[]> } });
        return;
      }
      if (Object.keys(grant).length === 0) {
        cli.io.stderr.write(`Nothing recorded for ${name}.\n`);
        return;
      }
      cli.io.stdout.write(`${escapeLines(stringify({ extensions: { [name]: grant } }))}\n`);
      cli.io.stderr.write(`✓ recorded in ${policyFile}\n`);
    });
}
