import { Command } from 'commander';
import { z } from 'zod';
import type { PlainValue } from '../../data/plain-data.js';
import { ProvError } from '../../errors/index.js';
import { parseInputJson, readConfigFile } from '../../run/read-input.js';
import { runExtension } from '../../run/run-extension.js';
import { toKebabCase } from '../../data/operation-names.js';
import { codeCacheDir } from '../../state/prov-home.js';
import type { CommandContext } from '../command-context.js';
import { printHumanOutcome, printJsonSuccess } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { StderrLogSink } from '../stderr-log-sink.js';
import { addGrantOptions, grantOptionsSchema, operatorSetup } from '../grant-options.js';
import { resolveExtension } from '../../extension/extension-source.js';
import { EXTENSION_KINDS } from '../../manifest/manifest-schema.js';
import { readInventory } from '../../inventory/read-inventory.js';

const optionsSchema = grantOptionsSchema.extend({
  input: z.string().optional(),
  config: z.string().optional(),
  check: z.boolean().default(false),
  json: z.boolean().default(false),
  verbose: z.boolean().default(false),
  server: z.string().optional(),
  type: z.enum(EXTENSION_KINDS).optional(),
});

export function runCommand(cli: CommandContext): Command {
  return addGrantOptions(new Command('run'))
    .description('run an operation of an extension in its sandbox')
    .argument('<extension>', 'a registered name, or an extension directory (./name)')
    .argument('<operation>', 'operation, kebab-case (create-server) or camelCase; "info" describes the extension')
    .option('--input <json>', 'the operation\'s input as JSON')
    .option('--config <file>', 'the operation\'s input from a .json or .toml file')
    .option('--check', 'dry run: no mutating call is performed; the result carries the plan')
    .option('--json', 'print one JSON document on stdout')
    .option('--verbose', 'also print the extension\'s debug logs')
    .option('--server <name>', 'the inventory server the operation acts on (ctx.target)')
    .option('--type <type>', 'provider, taskserv or cluster, when a registered name is more than one')
    .action(async (reference: string, operation: string, raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      cli.json = options.json;
      if (options.input !== undefined && options.config !== undefined) {
        throw new ProvError('Usage', '--input and --config cannot be used together', {
          hint: 'Give the input either inline (--input JSON) or from a file (--config FILE).',
        });
      }
      let input: PlainValue | undefined;
      if (options.input !== undefined) input = parseInputJson(options.input);
      else if (options.config !== undefined) input = await readConfigFile(options.config);

      const source = await resolveExtension(reference, { env: cli.env, ...(options.type === undefined ? {} : { type: options.type }) });
      const { name, type } = source.loaded.manifest.extension;
      const operator = await operatorSetup(cli, options, { name, type, dir: source.dir, registered: source.origin === 'registry' });
      const inventory = readInventory(cli.env);
      if (options.server !== undefined && !inventory.some((server) => server.name === options.server)) {
        throw new ProvError('Usage', `No server named "${options.server}" in the inventory`, {
          hint: `See prov server list; add one with prov server add ${options.server} --host H.`,
        });
      }
      const started = performance.now();
      const cancel = new AbortController();
      const onSigint = () => cancel.abort();
      process.once('SIGINT', onSigint);
      try {
        const outcome = await runExtension(source, operation, input, {
          log: new StderrLogSink(options.verbose ? 'debug' : 'info', cli.io.stderr),
          codeCacheDir: codeCacheDir(cli.env),
          env: cli.env,
          grant: operator.grant,
          limitCaps: operator.limitCaps,
          prompter: operator.prompter,
          recordAlways: operator.recordAlways,
          reservedPaths: [operator.policyFile],
          inventory,
          ...(options.server === undefined ? {} : { target: { name: options.server } }),
          check: options.check,
          signal: cancel.signal,
        });
        if (options.json) {
          printJsonSuccess(cli.io, { result: outcome.result, changed: outcome.changed, ...(outcome.plan === undefined ? {} : { plan: outcome.plan }) });
          return;
        }
        printHumanOutcome(cli.io, `${outcome.identity.name} ${toKebabCase(operation)}`, outcome, Math.round(performance.now() - started));
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
    });
}
