import { Command } from 'commander';
import { z } from 'zod';
import type { PlainValue } from '../../data/plain-data.js';
import { escapeControl } from '../../data/control-characters.js';
import { runExtensionTests } from '../../testing/run-extension-tests.js';
import type { CommandContext } from '../command-context.js';
import { printJsonSuccess } from '../output.js';
import { parseOptions } from '../parse-options.js';

const optionsSchema = z.object({ json: z.boolean().default(false) });

/** `prov test [dir]`: the extension's tests/**\/*.test.ts with vitest, against its sandboxed build; exit 1 when one fails. */
export function testCommand(cli: CommandContext): Command {
  return new Command('test')
    .description("run the extension's tests (tests/**/*.test.ts, with vitest and prov/testing) against its sandboxed build")
    .argument('[dir]', 'extension directory', '.')
    .option('--json', "print one JSON document on stdout (vitest's report goes to stderr)")
    .action(async (dir: string, raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      cli.json = options.json;
      const report = await runExtensionTests(dir, { report: options.json ? cli.io.stderr : cli.io.stdout, errors: cli.io.stderr });
      if (options.json) {
        printJsonSuccess(cli.io, { result: report as unknown as PlainValue });
        return;
      }
      const skipped = report.skipped > 0 ? `, ${report.skipped} skipped` : '';
      cli.io.stderr.write(`✓ ${report.passed} test(s) passed in ${report.files.length} file(s)${skipped}: ${escapeControl(report.dir)}\n`);
    });
}
