import { Command } from 'commander';
import { z } from 'zod';
import { escapeControl } from '../../data/control-characters.js';
import { EXTENSION_KINDS } from '../../manifest/manifest-schema.js';
import { BundleBlobs } from '../../registry/bundle-blobs.js';
import { listEntry } from '../../registry/describe-registered.js';
import { Registry } from '../../registry/registry.js';
import type { CommandContext } from '../command-context.js';
import { printJsonSuccess } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { permissionSummary } from '../permission-lines.js';
import type { PermissionSet } from '../../../host-api/grants/permission-keys.js';

const optionsSchema = z.object({ type: z.enum(EXTENSION_KINDS).optional(), json: z.boolean().default(false) });

/** `prov list [--type T]`: the registry, one line per extension. */
export function listCommand(cli: CommandContext): Command {
  return new Command('list')
    .description('the registered extensions: name, type, version, description, what each asks for')
    .option('--type <type>', 'only providers, taskservs or clusters')
    .option('--json', 'print one JSON document on stdout')
    .action((raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      cli.json = options.json;
      const registry = Registry.open(cli.env);
      let entries;
      try {
        entries = registry.list(options.type);
      } finally {
        registry.close();
      }
      const blobs = new BundleBlobs(cli.env);
      const rows = entries.map((entry) => listEntry(entry, blobs));
      if (options.json) {
        printJsonSuccess(cli.io, { result: rows });
        return;
      }
      if (rows.length === 0) {
        cli.io.stderr.write(`No ${options.type ?? 'extension'}s registered. Register one with: prov register <dir>\n`);
        return;
      }
      const width = (pick: (row: (typeof rows)[number]) => string) => Math.max(...rows.map((row) => escapeControl(pick(row)).length));
      const nameWidth = Math.max(4, width((row) => row.name));
      const versionWidth = Math.max(7, width((row) => row.version));
      cli.io.stdout.write(`${'NAME'.padEnd(nameWidth)}  ${'TYPE'.padEnd(8)}  ${'VERSION'.padEnd(versionWidth)}  DESCRIPTION / PERMISSIONS\n`);
      for (const row of rows) {
        cli.io.stdout.write(`${escapeControl(row.name).padEnd(nameWidth)}  ${row.type.padEnd(8)}  ${escapeControl(row.version).padEnd(versionWidth)}  ${escapeControl(row.description ?? '')}\n`);
        cli.io.stdout.write(`${''.padEnd(nameWidth + versionWidth + 14)}permissions: ${permissionSummary(row.permissions as PermissionSet)}\n`);
      }
    });
}
