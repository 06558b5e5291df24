import { Command } from 'commander';
import { stringify } from 'smol-toml';
import { z } from 'zod';
import { permissionKinds } from '../../../host-api/capabilities/index.js';
import { PERMISSION_KEYS, type PermissionSet } from '../../../host-api/grants/permission-keys.js';
import { recordGrant } from '../../../host-api/policy/policy-file.js';
import { normalizeSet } from '../../../host-api/policy/resolve-grant.js';
import { escapeLines } from '../../data/control-characters.js';
import { ProvError } from '../../errors/index.js';
import { readManifest } from '../../manifest/read-manifest.js';
import { realPath } from '../../state/real-path.js';
import { requestedPermissions } from '../../manifest/requested-permissions.js';
import { defaultPolicyFile } from '../../state/prov-home.js';
import type { CommandContext } from '../command-context.js';
import { addGrantOptions, flagGrant, grantOptionsSchema } from '../grant-options.js';
import { printJsonSuccess } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { TtyPrompter } from '../tty-prompter.js';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const optionsSchema = grantOptionsSchema.extend({
  yes: z.boolean().default(false),
  json: z.boolean().default(false),
});

/**
 * `prov grant <dir>`: records grants for an extension in the policy file —
 * what its manifest asks for (after a prompt, or with --yes), or only what
 * the --allow-… flags name.
 */
export function grantCommand(cli: CommandContext): Command {
  return addGrantOptions(new Command('grant'))
    .description('record what an extension may reach in the operator policy file')
    .argument('<dir>', 'extension directory (registered names arrive with the registry)')
    .option('--yes', 'grant everything metadata.toml asks for, without asking')
    .option('--json', 'print one JSON document on stdout')
    .action(async (dir: string, raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      cli.json = options.json;
      if (!existsSync(dir) && !dir.includes('/') && !dir.includes(path.sep)) {
        throw new ProvError('Usage', `"${dir}" is not an extension directory, and prov has no registry of names yet`, {
          hint: `Give the extension's directory: prov grant ./${dir} (registered names come with prov register).`,
        });
      }
      const loaded = await readManifest(dir);
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
      if (Object.keys(grant).length > 0) await recordGrant(policyFile, { name, type: loaded.manifest.extension.type, dir: realPath(dir) }, grant);
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
