import path from 'node:path';
import semver from 'semver';
import type { PlainValue } from '../data/plain-data.js';
import { ProvError } from '../errors/index.js';
import { MANIFEST_FILE, parseManifest } from '../manifest/read-manifest.js';
import { realPath } from '../state/real-path.js';
import { inspectExtension, type ValidateOptions } from '../validate/validate-extension.js';
import type { ValidationReport } from '../validate/validate-extension.js';
import type { RegisteredExtension } from './registered-extension.js';
import { Registry, type RegistryEntry } from './registry.js';

/** registered: new; upgraded: newer version; replaced: --force; repaired: same contents, stored files were damaged; unchanged: nothing to do. */
export type RegisterAction = 'registered' | 'upgraded' | 'replaced' | 'repaired' | 'unchanged';

export interface RegisterResult {
  action: RegisterAction;
  stored: RegisteredExtension;
  previous?: RegisteredExtension;
  /** The validation report (warnings only: errors refuse the registration). */
  report: ValidationReport;
}

export interface RegisterOptions extends ValidateOptions {
  /** Replace a registered version that is newer, or the same version with other contents. */
  force?: boolean;
}

/**
 * `prov register <dir>`: validates the extension (every rule; any error
 * refuses it), and stores the bundle validation built, its source map, the
 * manifest and the operations' input JSON Schemas. A newer version
 * upgrades; an older one, or the same version with other contents, needs
 * `force`. Registering the same thing twice changes nothing.
 */
export async function registerExtension(extensionDir: string, options: RegisterOptions = {}): Promise<RegisterResult> {
  const dir = path.resolve(extensionDir);
  const { report, built } = await inspectExtension(dir, options);
  if (report.errors > 0 || built === undefined) {
    throw new ProvError('ValidationFailed', `${path.basename(dir)} was not registered: ${report.errors} validation error(s)`, {
      hint: `Run "prov validate ${extensionDir}" to see them; fix them and register again.`,
      details: { findings: report.findings as unknown as PlainValue },
    });
  }
  const { bundle, description, manifestSource: manifest } = built;
  const identity = parseManifest(manifest, path.join(dir, MANIFEST_FILE)).extension;
  const entry: RegistryEntry = {
    name: identity.name,
    type: identity.type,
    version: identity.version,
    ...(identity.description === undefined ? {} : { description: identity.description }),
    manifest,
    sourceDir: realPath(dir),
    operations: description.operations.map((op) => ({
      name: op.name,
      ...(op.description === undefined ? {} : { description: op.description }),
      ...(op.inputSchema === undefined ? {} : { inputSchema: op.inputSchema }),
    })),
    ...(description.components === undefined ? {} : { components: description.components }),
    bundle: bundle.code,
    sourceMap: bundle.sourceMapJson,
  };
  let action: RegisterAction = 'registered';
  const registry = Registry.open(options.env);
  try {
    const { stored, previous } = registry.put(entry, (current) => {
      if (current === undefined) return true;
      const same = current.bundleSha256 === bundle.sha256 && current.manifest === manifest && current.sourceDir === entry.sourceDir;
      if (current.version === entry.version && same) {
        // The same build again: nothing to do, unless the stored files were damaged, which this repairs.
        const intact = registry.blobs.intact(current.bundleSha256, '.js') && registry.blobs.intact(current.mapSha256, '.map');
        action = intact ? 'unchanged' : 'repaired';
        return !intact;
      }
      if (semver.gt(entry.version, current.version)) {
        action = 'upgraded';
        return true;
      }
      if (options.force !== true) {
        const what = current.version === entry.version
          ? `${entry.version} is already registered with other contents (bundle sha256 ${current.bundleSha256.slice(0, 12)}…, from ${current.sourceDir})`
          : `${current.version} is registered, and ${entry.version} is older`;
        throw new ProvError('RegistryConflict', `${entry.type} ${entry.name}: ${what}`, {
          hint: current.version === entry.version
            ? `Bump [extension] version in ${MANIFEST_FILE} (and CHANGELOG.md), or replace it with prov register ${extensionDir} --force.`
            : `Downgrading is deliberate: prov register ${extensionDir} --force.`,
          details: { registered: current.version, registering: entry.version },
        });
      }
      action = 'replaced';
      return true;
    });
    return { action, stored, ...(previous === undefined ? {} : { previous }), report };
  } finally {
    registry.close();
  }
}
