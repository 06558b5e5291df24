import { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { addRunOptions, runAction } from '../run-action.js';

/** `prov run <name|dir> <operation>`: one operation of an extension, in its sandbox. */
export function runCommand(cli: CommandContext): Command {
  return addRunOptions(new Command('run'))
    .description('run an operation of an extension in its sandbox')
    .argument('<extension>', 'a registered name, or an extension directory (./name)')
    .argument('<operation>', 'operation, kebab-case (create-server) or camelCase; "info" describes the extension')
    .option('--type <type>', 'provider, taskserv or cluster, when a registered name is more than one')
    .action((reference: string, operation: string, raw: unknown) => runAction(cli, reference, operation, raw));
}
