import { Command } from 'commander';
import { toKebabCase } from '../../data/operation-names.js';
import type { ExtensionKind } from '../../manifest/manifest-schema.js';
import { OPTIONAL_OPERATIONS, REQUIRED_OPERATIONS } from '../../validate/required-operations.js';
import type { CommandContext } from '../command-context.js';
import { addRunOptions, runAction } from '../run-action.js';

/**
 * `prov provider <operation> <name>` and `prov taskserv <operation> <name>`:
 * `prov run` with the seed's verbs, for an extension of that kind and an
 * operation of that kind only.
 */
export function kindCommand(cli: CommandContext, kind: Extract<ExtensionKind, 'provider' | 'taskserv'>): Command {
  const operations = [...REQUIRED_OPERATIONS[kind], ...OPTIONAL_OPERATIONS[kind]].map(toKebabCase);
  return addRunOptions(new Command(kind))
    .description(`run a ${kind} operation (prov run, with the seed's verbs): ${operations.join(', ')}`)
    .argument('<operation>', `a ${kind} operation, or info`)
    .argument('<name>', `a registered ${kind}, or its directory (./name)`)
    .action((operation: string, name: string, raw: unknown) => runAction(cli, name, operation, raw, kind));
}
