import { Command } from 'commander';
import { z } from 'zod';
import { escapeControl } from '../../data/control-characters.js';
import { toKebabCase } from '../../data/operation-names.js';
import { EXTENSION_KINDS } from '../../manifest/manifest-schema.js';
import { BundleBlobs } from '../../registry/bundle-blobs.js';
import { describeRegistered, infoDocument } from '../../registry/describe-registered.js';
import { Registry } from '../../registry/registry.js';
import { defaultPolicyFile } from '../../state/prov-home.js';
import type { CommandContext } from '../command-context.js';
import { printJsonSuccess } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { isEmptySet, permissionLines } from '../permission-lines.js';

const optionsSchema = z.object({ type: z.enum(EXTENSION_KINDS).optional(), policy: z.string().optional(), json: z.boolean().default(false) });

/** `prov info <name>`: everything the registry knows of one extension, permissions requested / granted / not granted side by side. */
export function infoCommand(cli: CommandContext): Command {
  return new Command('info')
    .description('a registered extension: manifest, operations and input schemas, permissions, limits, hashes')
    .argument('<name>', 'registered name')
    .option('--type <type>', 'provider, taskserv or cluster, when the name is registered as more than one')
    .option('--policy <file>', 'the policy file to read grants from (default: $PROV_HOME/policy.toml)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (name: string, raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      cli.json = options.json;
      const registry = Registry.open(cli.env);
      let entry;
      try {
        entry = registry.resolve(name, options.type);
      } finally {
        registry.close();
      }
      const info = await describeRegistered(entry, new BundleBlobs(cli.env), options.policy ?? defaultPolicyFile(cli.env), options.policy !== undefined);
      if (options.json) {
        printJsonSuccess(cli.io, { result: infoDocument(info) });
        return;
      }
      const { grants } = info;
      const lines = [
        `${escapeControl(entry.name)} ${escapeControl(entry.version)} (${entry.type})${entry.description === undefined ? '' : ` — ${escapeControl(entry.description)}`}`,
        `  registered ${entry.registeredAt} from ${escapeControl(entry.sourceDir)}`,
        `  sha256     bundle ${entry.bundleSha256}`,
        `             map    ${entry.mapSha256}`,
        `  integrity  ${info.integrity.ok ? 'ok: the stored files match their hashes' : `TAMPERED: ${escapeControl(info.integrity.problem)}`}`,
        `  limits     memory ${info.limits.memory_mb} MB, timeout ${info.limits.timeout_ms} ms, cpu ${info.limits.cpu_ms} ms, ${info.limits.host_calls} host calls, ${info.limits.host_bytes_mb} MB through host calls`,
        '  operations',
        ...entry.operations.map((op) => `    ${toKebabCase(op.name).padEnd(24)} ${op.inputSchema === undefined ? 'no declared input' : `input: ${summarizeSchema(op.inputSchema)}`}`),
        '  permissions',
        ...(isEmptySet(grants.requested) ? ['    (asks for none)'] : []),
        ...(isEmptySet(grants.granted) ? [] : ['    granted:', ...permissionLines(grants.granted, '      ')]),
        ...(isEmptySet(grants.notGranted) ? [] : [`    not granted (denied; prov grant ${escapeControl(entry.name)}):`, ...permissionLines(grants.notGranted, '      ')]),
        ...(grants.notice === undefined ? [] : [`    note: ${escapeControl(grants.notice)}`]),
      ];
      cli.io.stdout.write(`${lines.join('\n')}\n`);
    });
}

/** `{hostname*, plan*, zone}`: the top-level properties, required ones starred (the JSON has the whole schema). */
function summarizeSchema(schema: unknown): string {
  const object = schema as { properties?: Record<string, unknown>; required?: string[] };
  if (object.properties === undefined) return 'declared (see --json)';
  const required = new Set(object.required ?? []);
  return `{${Object.keys(object.properties).map((key) => `${escapeControl(key)}${required.has(key) ? '*' : ''}`).join(', ')}}`;
}
