import path from 'node:path';
import type { Capability, LogSink } from '../../host-api/capability.js';
import type { ExtensionIdentity } from '../../host-api/sdk/context.js';
import { bundleExtension, type ExtensionBundle } from '../build/bundle-extension.js';
import { readManifest } from '../manifest/read-manifest.js';
import type { Manifest } from '../manifest/manifest-schema.js';
import type { CodeCache } from '../sandbox/code-cache.js';
import { LIMIT_CAPS, resolveLimits, type ResolvedLimits } from '../sandbox/limits.js';
import { Sandbox } from '../sandbox/sandbox.js';

export interface LoadExtensionOptions {
  /** Where the extension's log lines go. */
  log: LogSink;
  codeCache?: CodeCache;
  /** Caps on the manifest's [limits] (defaults: the runtime's caps). */
  limitCaps?: ResolvedLimits;
  capabilities?: Readonly<Record<string, Capability>>;
}

/** An extension read, bundled and running in its sandbox. */
export interface LoadedExtension {
  dir: string;
  manifest: Manifest;
  identity: ExtensionIdentity;
  bundle: ExtensionBundle;
  limits: ResolvedLimits;
  sandbox: Sandbox;
}

/** Reads the manifest, bundles `src/index.ts` and loads it into a new isolate. */
export async function loadExtension(extensionDir: string, options: LoadExtensionOptions): Promise<LoadedExtension> {
  const dir = path.resolve(extensionDir);
  const { manifest } = await readManifest(dir);
  const { name, type, version, description } = manifest.extension;
  const identity: ExtensionIdentity = Object.freeze({ name, type, version, ...(description === undefined ? {} : { description }) });
  const bundle = await bundleExtension(dir, name);
  const limits = resolveLimits(manifest.limits, options.limitCaps ?? LIMIT_CAPS);
  const sandbox = await Sandbox.load({
    bundle,
    identity,
    limits,
    log: options.log,
    ...(options.codeCache === undefined ? {} : { codeCache: options.codeCache }),
    ...(options.capabilities === undefined ? {} : { capabilities: options.capabilities }),
  });
  return { dir, manifest, identity, bundle, limits, sandbox };
}
