import { Command } from 'commander';
import { z } from 'zod';
import type { PlainValue } from '../../data/plain-data.js';
import { escapeControl } from '../../data/control-characters.js';
import { ProvError } from '../../errors/index.js';
import type { Finding } from '../../validate/finding.js';
import { validateExtension } from '../../validate/validate-extension.js';
import type { CommandContext } from '../command-context.js';
import { printJsonSuccess } from '../output.js';
import { parseOptions } from '../parse-options.js';

const optionsSchema = z.object({ json: z.boolean().default(false) });

/** `prov validate [dir]`: every finding of the five rules, grouped by file; exit 3 on any error. */
export function validateCommand(cli: CommandContext): Command {
  return new Command('validate')
    .description('check an extension: structure, schema, interface, dependency and version rules, every finding at once')
    .argument('[dir]', 'extension directory', '.')
    .option('--json', 'print one JSON document on stdout')
    .action(async (dir: string, raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      cli.json = options.json;
      const report = await validateExtension(dir, { env: cli.env });
      const summary = `${report.errors} error(s), ${report.warnings} warning(s) in ${report.dir}`;
      if (!options.json) {
        const byFile = new Map<string, Finding[]>();
        for (const finding of report.findings) byFile.set(finding.file, [...(byFile.get(finding.file) ?? []), finding]);
        const lines: string[] = [];
        for (const [file, findings] of byFile) {
          lines.push(escapeControl(file));
          for (const finding of findings) {
            const where = finding.line === undefined ? '' : `${finding.line}${finding.column === undefined ? '' : `:${finding.column}`}: `;
            lines.push(`  ${where}${finding.severity} [${finding.rule}] ${escapeControl(finding.message)}`);
            if (finding.hint !== undefined) lines.push(`      hint: ${escapeControl(finding.hint)}`);
          }
        }
        cli.io.stderr.write(`${lines.join('\n')}${lines.length > 0 ? '\n' : ''}${report.errors > 0 ? '✗' : '✓'} ${escapeControl(summary)}\n`);
      }
      if (report.errors > 0) {
        throw new ProvError('ValidationFailed', summary, {
          hint: 'Fix the errors above; warnings do not fail validation.',
          details: { findings: report.findings as unknown as PlainValue },
        });
      }
      if (options.json) printJsonSuccess(cli.io, { result: report as unknown as PlainValue });
    });
}
