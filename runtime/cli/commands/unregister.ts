import { Command } from 'commander';
import { z } from 'zod';
import { escapeControl } from '../../data/control-characters.js';
import { EXTENSION_KINDS } from '../../manifest/manifest-schema.js';
import { revokeRegisteredGrant } from '../../../host-api/policy/policy-file.js';
import { Registry } from '../../registry/registry.js';
import { defaultPolicyFile } from '../../state/prov-home.js';
import type { CommandContext } from '../command-context.js';
import { printJsonSuccess } from '../output.js';
import { parseOptions } from '../parse-options.js';

const optionsSchema = z.object({ type: z.enum(EXTENSION_KINDS).optional(), policy: z.string().optional(), json: z.boolean().default(false) });

/**
 * `prov unregister <name> [--type T]`: the row and its files go, and so do
 * the policy's grants bound to the registered extension (they must not pass
 * to the next extension registered under that name); grants bound to a
 * directory stay.
 */
export function unregisterCommand(cli: CommandContext): Command {
  return new Command('unregister')
    .description('remove an extension from the registry, and the grants bound to it in the policy file')
    .argument('<name>', 'registered name')
    .option('--type <type>', 'provider, taskserv or cluster, when the name is registered as more than one')
    .option('--policy <file>', 'the policy file to remove its grants from (default: $PROV_HOME/policy.toml)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (name: string, raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      cli.json = options.json;
      const registry = Registry.open(cli.env);
      try {
        const removed = registry.remove(name, options.type);
        const policyFile = options.policy ?? defaultPolicyFile(cli.env);
        const revoked = await revokeRegisteredGrant(policyFile, removed.name, removed.type);
        if (options.json) printJsonSuccess(cli.io, { result: { removed: removed.name, type: removed.type, version: removed.version, grants_revoked: revoked }, changed: true });
        else cli.io.stderr.write(`✓ unregistered ${removed.type} ${escapeControl(removed.name)} ${removed.version}${revoked ? `; its grants in ${escapeControl(policyFile)} are revoked` : ''}\n`);
      } finally {
        registry.close();
      }
    });
}
