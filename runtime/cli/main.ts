import { Command, CommanderError } from 'commander';
import { ProvError } from '../errors/index.js';
import { provVersion } from '../package-root.js';
import type { CommandContext } from './command-context.js';
import { buildCommand } from './commands/build.js';
import { newCommand } from './commands/new.js';
import { runCommand } from './commands/run.js';
import { grantCommand } from './commands/grant.js';
import { auditCommand } from './commands/audit.js';
import { serverCommand } from './commands/server.js';
import { validateCommand } from './commands/validate.js';
import { registerCommand } from './commands/register.js';
import { unregisterCommand } from './commands/unregister.js';
import { listCommand } from './commands/list.js';
import { infoCommand } from './commands/info.js';
import { devCommand } from './commands/dev.js';
import { kindCommand } from './commands/kind-verbs.js';
import { clusterCommand } from './commands/cluster.js';
import { testCommand } from './commands/test.js';
import { reportError, type CliIo } from './output.js';

/**
 * Runs the prov CLI and returns its exit code. Never calls process.exit, so
 * it can be driven in-process; the bin sets process.exitCode from it.
 */
export async function main(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const cli: CommandContext = { io, env, json: argv.includes('--json') };
  const program = new Command('prov')
    .description('A sandboxed extension runtime for infrastructure provisioning')
    .version(provVersion(), '-V, --version')
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: () => undefined, // usage errors are reported below, in prov's format
    })
    .exitOverride();

  for (const command of [newCommand(cli), buildCommand(cli), runCommand(cli), grantCommand(cli), auditCommand(cli), serverCommand(cli), validateCommand(cli), testCommand(cli),
    registerCommand(cli), unregisterCommand(cli), listCommand(cli), infoCommand(cli), devCommand(cli), kindCommand(cli, 'provider'), kindCommand(cli, 'taskserv'), clusterCommand(cli)]) {
    // Subcommands too (prov server add): commander must throw, never exit the process.
    const quiet = (each: Command): Command => {
      each.exitOverride().configureOutput(program.configureOutput());
      for (const sub of each.commands) quiet(sub);
      return each;
    };
    program.addCommand(quiet(command));
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0; // --help, --version
      const message = error.message.replace(/^error: /, '');
      return reportError(io, new ProvError('Usage', message, { hint: 'See "prov --help" or "prov <command> --help".' }), cli.json);
    }
    return reportError(io, error, cli.json);
  }
}
