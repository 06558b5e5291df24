import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { bundleExtension, bundleOutfile, type ExtensionBundle } from '../build/bundle-extension.js';
import { StackMapper } from '../build/stack-mapper.js';
import { ProvError } from '../errors/index.js';
import { MANIFEST_FILE, parseManifest, readManifest, type LoadedManifest } from '../manifest/read-manifest.js';
import type { ExtensionKind } from '../manifest/manifest-schema.js';
import type { RegisteredExtension } from '../registry/registered-extension.js';
import type { BundleBlobs } from '../registry/bundle-blobs.js';
import { Registry } from '../registry/registry.js';
import { realPath } from '../state/real-path.js';

/**
 * Where an extension's manifest and code come from: a directory (bundled
 * now, from its sources) or the registry (the bundle stored at register
 * time, checked against its recorded hash before it runs).
 */
export interface ExtensionSource {
  origin: 'directory' | 'registry';
  /** The extension's directory, links resolved (for a registered one: where it was registered from). Grants are bound to it. */
  dir: string;
  loaded: LoadedManifest;
  bundle(): Promise<ExtensionBundle>;
}

export async function directorySource(extensionDir: string): Promise<ExtensionSource> {
  const dir = path.resolve(extensionDir);
  const loaded = await readManifest(dir);
  return { origin: 'directory', dir: realPath(dir), loaded, bundle: () => bundleExtension(dir, loaded.manifest.extension.name) };
}

/**
 * A registered extension: its manifest as registered, its bundle read back
 * and verified against the recorded sha256. With `env`, a bundle that is
 * missing because another prov command replaced or unregistered the row
 * since it was looked up (its garbage collection took the files) says so,
 * rather than reporting tampering.
 */
export function registeredSource(entry: RegisteredExtension, blobs: BundleBlobs, env?: NodeJS.ProcessEnv): ExtensionSource {
  const file = path.join(entry.sourceDir, MANIFEST_FILE);
  const loaded: LoadedManifest = { manifest: parseManifest(entry.manifest, file), file, source: entry.manifest };
  const bundle = async (): Promise<ExtensionBundle> => {
    const what = `${entry.type} ${entry.name} ${entry.version}`;
    let code: string;
    let sourceMapJson: string;
    try {
      code = blobs.get(entry.bundleSha256, '.js', `bundle of ${what}`);
      sourceMapJson = blobs.get(entry.mapSha256, '.map', `source map of ${what}`);
    } catch (error) {
      if (env !== undefined && error instanceof ProvError && error.code === 'BundleTampered') explainChangedRow(entry, env);
      throw error;
    }
    const filename = `prov:${entry.name}.js`;
    // The map's paths are relative to <dir>/dist, where `prov build` would have written it.
    const outfile = bundleOutfile(entry.sourceDir);
    return {
      code, sourceMapJson, filename, sha256: entry.bundleSha256, outfile,
      stackMapper: new StackMapper({ sourceMapJson, filename, mapDir: path.dirname(outfile), extensionDir: entry.sourceDir }),
    };
  };
  return { origin: 'registry', dir: entry.sourceDir, loaded, bundle };
}

/** Throws RegistryChanged when the registry no longer holds `entry` as it was looked up. */
function explainChangedRow(entry: RegisteredExtension, env: NodeJS.ProcessEnv): void {
  const registry = Registry.open(env);
  let now: RegisteredExtension | undefined;
  try {
    now = registry.named(entry.name).find((row) => row.type === entry.type);
  } finally {
    registry.close();
  }
  const what = `${entry.type} ${entry.name} ${entry.version}`;
  if (now === undefined) {
    throw new ProvError('RegistryChanged', `${what} was unregistered while this command was starting`, {
      hint: 'Another prov command removed it; prov list shows what is registered.',
    });
  }
  if (now.bundleSha256 !== entry.bundleSha256 || now.mapSha256 !== entry.mapSha256) {
    throw new ProvError('RegistryChanged', `${what} was replaced by ${now.version} while this command was starting`, {
      hint: `Run the command again: it will use ${now.version} (prov info ${entry.name} shows what it asks for).`,
    });
  }
}

/** A path rather than a name: it has a separator, or is "." or "..". */
export function looksLikePath(reference: string): boolean {
  return reference.includes('/') || reference.includes(path.sep) || reference === '.' || reference === '..';
}

/**
 * `prov run <name|dir>`: a path is a directory; a bare word is a registered
 * name, or, when nothing of that name is registered, a directory of that
 * name (the NotRegistered error otherwise says both).
 */
export async function resolveExtension(reference: string, options: { type?: ExtensionKind; env?: NodeJS.ProcessEnv } = {}): Promise<ExtensionSource> {
  if (looksLikePath(reference)) return directorySource(reference);
  const registry = Registry.open(options.env);
  try {
    if (registry.named(reference).length === 0 && existsSync(reference) && statSync(reference).isDirectory()) return directorySource(reference);
    return registeredSource(registry.resolve(reference, options.type), registry.blobs, options.env ?? process.env);
  } finally {
    registry.close();
  }
}
