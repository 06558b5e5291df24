import path from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { escapeControl } from '../../data/control-characters.js';
import { newExtension } from '../../scaffold/new-extension.js';
import type { CommandContext } from '../command-context.js';
import { completeNewArguments } from '../new-extension-prompts.js';
import { printJsonSuccess } from '../output.js';
import { parseOptions } from '../parse-options.js';

const optionsSchema = z.object({
  dir: z.string().min(1).optional(),
  description: z.string().optional(),
  json: z.boolean().default(false),
});

/** `prov new <kind> <name>`: a new extension from prov's template for that kind, ready for validate, run and build. */
export function newCommand(cli: CommandContext): Command {
  return new Command('new')
    .description('make a new extension from a template: a provider, a taskserv or a cluster')
    .argument('[kind]', 'provider, taskserv or cluster (asked on a terminal when missing)')
    .argument('[name]', 'its name: lower-case letters, digits, dashes (asked on a terminal when missing)')
    .option('--dir <dir>', 'the directory to create (default: ./NAME); it must not exist or must be empty')
    .option('--description <text>', 'one line for metadata.toml, package.json and README.md')
    .option('--json', 'print one JSON document on stdout (and never ask)')
    .action(async (kind: string | undefined, name: string | undefined, raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      cli.json = options.json;
      const answers = await completeNewArguments(cli, {
        ...(kind === undefined ? {} : { kind }),
        ...(name === undefined ? {} : { name }),
        ...(options.description === undefined ? {} : { description: options.description }),
      });
      const created = await newExtension({ ...answers, ...(options.dir === undefined ? {} : { dir: options.dir }) });
      if (options.json) {
        printJsonSuccess(cli.io, { result: { ...created } });
        return;
      }
      const relative = path.relative(process.cwd(), created.dir);
      const where = escapeControl(relative === '' ? '.' : relative.startsWith('..') ? created.dir : relative);
      const steps: [string, string][] = [
        [`prov validate ${where}`, 'passes as generated'],
        [`prov run ${where} info`, 'its operations and their input schemas'],
        [`prov test ${where}`, 'its tests/, against the sandboxed build'],
        [`cd ${where} && npm install`, 'optional: prov/sdk types for your editor'],
      ];
      const width = Math.max(...steps.map(([command]) => command.length));
      cli.io.stdout.write(
        `created ${created.kind} ${created.name} in ${where} (${created.files.length} files)\n\nnext:\n` +
          steps.map(([command, why]) => `  ${command.padEnd(width)}   # ${why}\n`).join(''),
      );
    });
}
