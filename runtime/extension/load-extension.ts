import path from 'node:path';
import type { Capability, LogSink } from '../../host-api/capability.js';
import type { ExtensionIdentity } from '../../host-api/sdk/context.js';
import { bundleExtension, type ExtensionBundle } from '../build/bundle-extension.js';
import { readManifest } from '../manifest/read-manifest.js';
import type { Manifest } from '../manifest/manifest-schema.js';
import type { CodeCache } from '../sandbox/code-cache.js';
import type { ExtensionSandbox } from '../sandbox/extension-sandbox.js';
import { IsolateSandbox } from '../sandbox/isolate-sandbox.js';
import { LIMIT_CAPS, resolveLimits, type ResolvedLimits } from '../sandbox/limits.js';
import { SandboxHost } from '../sandbox/process/sandbox-host.js';
import { Sandbox } from '../sandbox/sandbox.js';

export interface LoadExtensionOptions {
  /** Where the extension's log lines go. */
  log: LogSink;
  /** Caps on the manifest's [limits] (defaults: the runtime's caps). */
  limitCaps?: ResolvedLimits;
  /**
   * `process` (the default): the isolate lives in a supervised child process,
   * so even a V8 heap abort ends only that child. `in-process`: the isolate
   * lives in this process (faster to start; for tests and benchmarks of the
   * isolate layer — a heap abort there ends this process).
   */
  isolation?: 'process' | 'in-process';
  /** Where V8 code caches are kept (process isolation); none: in memory. */
  codeCacheDir?: string;
  /** The code cache (in-process isolation); default: one in memory for the process. */
  codeCache?: CodeCache;
  /** The capabilities offered (in-process isolation only); default: all of host-api/capabilities. */
  capabilities?: Readonly<Record<string, Capability>>;
}

/** An extension read, bundled and running in its sandbox. */
export interface LoadedExtension {
  dir: string;
  manifest: Manifest;
  identity: ExtensionIdentity;
  bundle: ExtensionBundle;
  limits: ResolvedLimits;
  sandbox: ExtensionSandbox;
}

/** Reads the manifest, bundles `src/index.ts` and loads it into a new isolate. */
export async function loadExtension(extensionDir: string, options: LoadExtensionOptions): Promise<LoadedExtension> {
  const dir = path.resolve(extensionDir);
  const { manifest } = await readManifest(dir);
  const { name, type, version, description } = manifest.extension;
  const identity: ExtensionIdentity = Object.freeze({ name, type, version, ...(description === undefined ? {} : { description }) });
  const limits = resolveLimits(manifest.limits, options.limitCaps ?? LIMIT_CAPS);
  const { log } = options;
  if (options.isolation === 'in-process') {
    const bundle = await bundleExtension(dir, name);
    const sandbox = await IsolateSandbox.load({
      bundle, identity, limits, log,
      ...(options.codeCache === undefined ? {} : { codeCache: options.codeCache }),
      ...(options.capabilities === undefined ? {} : { capabilities: options.capabilities }),
    });
    return { dir, manifest, identity, bundle, limits, sandbox };
  }
  // The host process starts while esbuild bundles: its ~40 ms start-up is hidden behind the build.
  const host = SandboxHost.spawn();
  try {
    const bundle = await bundleExtension(dir, name);
    const codeCacheDir = options.codeCacheDir === undefined ? {} : { codeCacheDir: options.codeCacheDir };
    const sandbox = await Sandbox.load({ bundle, identity, limits, log, host, ...codeCacheDir });
    return { dir, manifest, identity, bundle, limits, sandbox };
  } catch (error) {
    host.kill();
    throw error;
  }
}
