import { Command } from 'commander';
import { z } from 'zod';
import { buildExtension } from '../../build/build-extension.js';
import type { CommandContext } from '../command-context.js';
import { parseOptions } from '../parse-options.js';
import { printJsonSuccess } from '../output.js';

const optionsSchema = z.object({ json: z.boolean().default(false) });

export function buildCommand(cli: CommandContext): Command {
  return new Command('build')
    .description('bundle an extension to dist/extension.js with its source map')
    .argument('[dir]', 'extension directory', '.')
    .option('--json', 'print one JSON document')
    .action(async (dir: string, raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      cli.json = options.json;
      const built = await buildExtension(dir);
      if (options.json) {
        printJsonSuccess(cli.io, { result: { ...built } });
        return;
      }
      cli.io.stdout.write(
        `built ${built.name} ${built.version} → ${built.outfile} (${(built.bytes / 1024).toFixed(1)} KB, sha256 ${built.sha256.slice(0, 12)}…)\n`,
      );
    });
}
