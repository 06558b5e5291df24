import { Command } from 'commander';
import { z } from 'zod';
import { escapeControl } from '../../data/control-characters.js';
import { EXTENSION_KINDS } from '../../manifest/manifest-schema.js';
import { Registry } from '../../registry/registry.js';
import type { CommandContext } from '../command-context.js';
import { printJsonSuccess } from '../output.js';
import { parseOptions } from '../parse-options.js';

const optionsSchema = z.object({ type: z.enum(EXTENSION_KINDS).optional(), json: z.boolean().default(false) });

/** `prov unregister <name> [--type T]`: the row and its files go; grants in the policy file stay. */
export function unregisterCommand(cli: CommandContext): Command {
  return new Command('unregister')
    .description('remove an extension from the registry (its grants stay in the policy file)')
    .argument('<name>', 'registered name')
    .option('--type <type>', 'provider, taskserv or cluster, when the name is registered as more than one')
    .option('--json', 'print one JSON document on stdout')
    .action((name: string, raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      cli.json = options.json;
      const registry = Registry.open(cli.env);
      try {
        const removed = registry.remove(name, options.type);
        if (options.json) printJsonSuccess(cli.io, { result: { removed: removed.name, type: removed.type, version: removed.version }, changed: true });
        else cli.io.stderr.write(`✓ unregistered ${removed.type} ${escapeControl(removed.name)} ${removed.version}\n`);
      } finally {
        registry.close();
      }
    });
}
