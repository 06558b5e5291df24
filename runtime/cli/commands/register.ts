import { Command } from 'commander';
import os from 'node:os';
import { z } from 'zod';
import type { PlainValue } from '../../data/plain-data.js';
import { escapeControl } from '../../data/control-characters.js';
import { registeredSource } from '../../extension/extension-source.js';
import { grantStatus, permissionChanges } from '../../registry/grant-status.js';
import { registerExtension } from '../../registry/register-extension.js';
import { BundleBlobs } from '../../registry/bundle-blobs.js';
import { requestedPermissions } from '../../manifest/requested-permissions.js';
import { defaultPolicyFile } from '../../state/prov-home.js';
import type { CommandContext } from '../command-context.js';
import { printJsonSuccess } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { isEmptySet, permissionLines } from '../permission-lines.js';

const optionsSchema = z.object({
  force: z.boolean().default(false),
  policy: z.string().optional(),
  json: z.boolean().default(false),
});

/**
 * `prov register <dir>`: validate, build and store. When the new version asks
 * for more than the registered one, the difference is printed, and what the
 * policy does not grant yet stays denied until `prov grant`.
 */
export function registerCommand(cli: CommandContext): Command {
  return new Command('register')
    .description('validate and build an extension, and store it in the registry under $PROV_HOME')
    .argument('<dir>', 'extension directory')
    .option('--force', 'replace a newer registered version, or the same version with other contents')
    .option('--policy <file>', 'the policy file whose grants are shown (default: $PROV_HOME/policy.toml)')
    .option('--json', 'print one JSON document on stdout')
    .action(async (dir: string, raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      cli.json = options.json;
      const outcome = await registerExtension(dir, { env: cli.env, force: options.force });
      const { stored, previous, action } = outcome;
      const home = os.homedir();
      const source = registeredSource(stored, new BundleBlobs(cli.env));
      const status = await grantStatus(source.loaded, stored.sourceDir, options.policy ?? defaultPolicyFile(cli.env), options.policy !== undefined, home);
      const before = previous === undefined ? undefined : requestedPermissions(registeredSource(previous, new BundleBlobs(cli.env)).loaded, home);
      const changes = before === undefined ? undefined : permissionChanges(before, status.requested);
      if (options.json) {
        printJsonSuccess(cli.io, {
          result: {
            action, name: stored.name, type: stored.type, version: stored.version, sha256: stored.bundleSha256,
            previous_version: previous?.version ?? null,
            permissions: { requested: status.requested, granted: status.granted, not_granted: status.notGranted, ...(changes === undefined ? {} : { added: changes.added, removed: changes.removed }) },
            warnings: outcome.report.findings as unknown as PlainValue,
          } as unknown as PlainValue,
          changed: action !== 'unchanged',
        });
        return;
      }
      const what = `${stored.type} ${escapeControl(stored.name)}`;
      const lines: string[] = [];
      for (const finding of outcome.report.findings) lines.push(`  warning [${finding.rule}] ${escapeControl(finding.file)}: ${escapeControl(finding.message)}`);
      if (action === 'unchanged') lines.push(`✓ ${what} ${stored.version} is already registered, unchanged`);
      else if (action === 'repaired') lines.push(`✓ ${what} ${stored.version} repaired: its stored bundle or map had been changed or removed, and is written again`);
      else if (action === 'registered') lines.push(`✓ registered ${what} ${stored.version} (sha256 ${stored.bundleSha256.slice(0, 12)}…)`);
      else lines.push(`✓ ${action} ${what} ${previous!.version} → ${stored.version} (sha256 ${stored.bundleSha256.slice(0, 12)}…)`);
      // Grants the operator gave before apply without a new grant: say so when the code may be someone else's.
      const policyFile = options.policy ?? defaultPolicyFile(cli.env);
      if (previous !== undefined && previous.sourceDir !== stored.sourceDir) {
        const carried = isEmptySet(status.granted) ? '' : ', and what the policy grants carries over to it:';
        lines.push(`  from another directory than ${previous.version} (${escapeControl(previous.sourceDir)} → ${escapeControl(stored.sourceDir)})${carried}`);
        if (carried !== '') lines.push(...permissionLines(status.granted));
      }
      if (action === 'registered' && !isEmptySet(status.granted)) {
        lines.push(`  already granted by ${escapeControl(policyFile)} ([extensions.${escapeControl(stored.name)}]):`, ...permissionLines(status.granted));
      }
      if (changes !== undefined && !isEmptySet(changes.added)) {
        lines.push(`  ${stored.version} asks for more than ${previous!.version}:`, ...permissionLines(changes.added, '    ', '+ '));
      }
      if (changes !== undefined && !isEmptySet(changes.removed)) {
        lines.push(`  and no longer asks for:`, ...permissionLines(changes.removed, '    ', '- '));
      }
      if (!isEmptySet(status.notGranted)) {
        lines.push(`  not granted (denied until you grant it: prov grant ${escapeControl(stored.name)}):`, ...permissionLines(status.notGranted));
      }
      if (status.notice !== undefined) lines.push(`  note: ${escapeControl(status.notice)}`);
      cli.io.stderr.write(`${lines.join('\n')}\n`);
    });
}
