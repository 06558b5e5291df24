import { Command } from 'commander';
import { stringify } from 'smol-toml';
import { z } from 'zod';
import { readAudit } from '../../../host-api/audit/audit-log.js';
import { suggestGrant } from '../../../host-api/audit/suggest-grant.js';
import { permissionKinds } from '../../../host-api/capabilities/index.js';
import { PERMISSION_KEYS } from '../../../host-api/grants/permission-keys.js';
import type { PlainValue } from '../../data/plain-data.js';
import { escapeControl, escapeLines } from '../../data/control-characters.js';
import { ProvError } from '../../errors/index.js';
import { auditLogFile } from '../../state/prov-home.js';
import type { CommandContext } from '../command-context.js';
import { printJsonSuccess } from '../output.js';
import { parseOptions } from '../parse-options.js';

const optionsSchema = z.object({
  ext: z.string().optional(),
  since: z.string().optional(),
  suggest: z.string().optional(),
  json: z.boolean().default(false),
});

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: an ISO date/time, or a duration back from now (`30m`, `2h`, `7d`). */
export function parseSince(text: string, now = Date.now()): Date {
  const duration = /^(\d+)([smhd])$/.exec(text.trim());
  if (duration !== null) return new Date(now - Number(duration[1]) * UNITS[duration[2]!]!);
  const time = Date.parse(text);
  if (Number.isNaN(time)) {
    throw new ProvError('Usage', `--since ${JSON.stringify(text)} is neither a date nor a duration`, { hint: 'Use e.g. --since 2h, --since 7d or --since 2026-11-27T10:00:00Z.' });
  }
  return new Date(time);
}

export function auditCommand(cli: CommandContext): Command {
  return new Command('audit')
    .description('read the audit log of gated host calls, or suggest the least grant for an extension')
    .option('--ext <name>', 'only this extension')
    .option('--since <time>', 'only calls since a date/time or a duration back (30m, 2h, 7d)')
    .option('--suggest <name>', 'print the smallest [permissions] that would have allowed what the extension asked for')
    .option('--json', 'print one JSON document on stdout')
    .action(async (raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      cli.json = options.json;
      const extension = options.suggest ?? options.ext;
      const records = await readAudit(auditLogFile(cli.env), {
        ...(extension === undefined ? {} : { extension }),
        ...(options.since === undefined ? {} : { since: parseSince(options.since) }),
      });
      if (options.suggest !== undefined) {
        const suggestion = suggestGrant(options.suggest, records);
        const flags = PERMISSION_KEYS.flatMap((key) => (suggestion.permissions[key] ?? []).map((value) => `${permissionKinds.get(key)?.flag ?? `--allow-${key}`} ${value}`));
        if (options.json) {
          printJsonSuccess(cli.io, { result: { ...suggestion, flags } as unknown as PlainValue });
          return;
        }
        if (suggestion.calls === 0) {
          cli.io.stderr.write(`No audited calls of ${escapeControl(options.suggest)}${options.since === undefined ? '' : ` since ${options.since}`}: nothing to suggest.\n`);
          return;
        }
        const toml = Object.keys(suggestion.permissions).length === 0 ? '[permissions]\n' : stringify({ permissions: suggestion.permissions });
        cli.io.stdout.write(
          `# the least grant for ${escapeControl(options.suggest)}, from ${suggestion.calls} audited call(s), ${suggestion.denied} of them denied\n` +
            `${escapeLines(toml)}\n# or for one run:\n#   ${escapeControl(flags.join(' ') || '(no flags needed)')}\n`,
        );
        return;
      }
      if (options.json) {
        printJsonSuccess(cli.io, { result: records as unknown as PlainValue });
        return;
      }
      for (const record of records) {
        const outcome = record.decision === 'allowed' && record.error !== null ? `failed ${record.error}` : record.decision;
        const changed = record.changed ? ' changed' : '';
        cli.io.stdout.write(
          `${record.time}  ${outcome.padEnd(8)} ${escapeControl(`${record.extension}@${record.version}`)} ${escapeControl(record.operation ?? '(load)')}  ${record.call} ${escapeControl(record.target ?? '')}${changed}\n`,
        );
      }
      cli.io.stderr.write(`${records.length} audited call(s)\n`);
    });
}
