import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { providerSource } from './temp-extension.js';

export interface RegistrableOptions {
  name: string;
  version: string;
  type?: 'provider' | 'taskserv' | 'cluster';
  /** src/index.ts as given (instead of one made from `members`). */
  source?: string;
  /** `[permissions]` lines, e.g. `http = ["127.0.0.1:8080"]`. */
  permissions?: string;
  /** Provider members beyond the required operations (object-literal members). */
  members?: Record<string, string>;
  description?: string;
}

const TASKSERV_OPERATIONS = ['install', 'uninstall', 'configure', 'status', 'restart', 'upgrade', 'getCurrentVersion', 'getAvailableVersions', 'checkUpdates'];

/**
 * Writes a complete extension that passes every validation rule (docs,
 * CHANGELOG entry for its version, compatibility) into `dir`: what
 * `prov register` accepts.
 */
export async function writeRegistrableExtension(dir: string, options: RegistrableOptions): Promise<string> {
  await mkdir(path.join(dir, 'src'), { recursive: true });
  const type = options.type ?? 'provider';
  await writeFile(path.join(dir, 'metadata.toml'), `[extension]
name = "${options.name}"
type = "${type}"
version = "${options.version}"
description = "${options.description ?? `${options.name} for the registry tests`}"

[compatibility]
prov = ">=0.1.0 <1.0.0"
api = 1

[permissions]
${options.permissions ?? ''}
`);
  for (const doc of ['README.md', 'API.md', 'EXAMPLES.md']) await writeFile(path.join(dir, doc), `# ${options.name}\n`);
  await writeFile(path.join(dir, 'CHANGELOG.md'), `# Changelog\n\n## ${options.version}\n\n- This version.\n`);
  const source = options.source ?? (type === 'cluster' ? `import { defineCluster } from 'prov/sdk';\nexport default defineCluster({ components: [] });\n` : undefined) ?? (type === 'provider'
    ? providerSource(options.members ?? {})
    : `import { defineTaskserv } from 'prov/sdk';\nexport default defineTaskserv({\n${TASKSERV_OPERATIONS.map((op) => `  async ${op}() { return null; },`).join('\n')}\n${Object.values(options.members ?? {}).map((member) => `  ${member},`).join('\n')}\n} as any);\n`);
  await writeFile(path.join(dir, 'src', 'index.ts'), source);
  return dir;
}
