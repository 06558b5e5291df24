import path from 'node:path';
import {
  bundleExtension,
  MemoryCodeCache,
  readManifest,
  resolveLimits,
  Sandbox,
  type CodeCache,
  type ExtensionBundle,
  type LoadedExtension,
  type LogSink,
  type Manifest,
  type ResolvedLimits,
  type SandboxOptions,
} from '../dist/runtime/index.js';
import type { PlainValue } from '../dist/runtime/index.js';

/** Extension logs go nowhere: the bench measures the runtime, not a terminal. */
export const NO_OP_LOG: LogSink = { write() {} };

/** An extension read and bundled once, up front; every figure loads this same bundle. */
export interface Subject {
  dir: string;
  manifest: Manifest;
  identity: SandboxOptions['identity'];
  limits: ResolvedLimits;
  bundle: ExtensionBundle;
  /** Wall time of each bundleExtension call (esbuild), ms. */
  bundleMs: number[];
}

/** Reads the manifest and bundles `<dir>/src/index.ts` `times` times (the last bundle is kept). */
export async function prepareSubject(dir: string, times: number): Promise<Subject> {
  const { manifest } = await readManifest(dir);
  const { name, type, version, description } = manifest.extension;
  const identity = Object.freeze({ name, type, version, ...(description === undefined ? {} : { description }) });
  const bundleMs: number[] = [];
  let bundle: ExtensionBundle | undefined;
  for (let i = 0; i < times; i++) {
    const start = performance.now();
    bundle = await bundleExtension(dir, name);
    bundleMs.push(performance.now() - start);
  }
  return { dir: path.resolve(dir), manifest, identity, limits: resolveLimits(manifest.limits), bundle: bundle!, bundleMs };
}

/** New isolate with the prelude and the bundle loaded (what `prov run` does after bundling). */
export function loadSandbox(subject: Subject, codeCache: CodeCache = new MemoryCodeCache()): Promise<Sandbox> {
  return Sandbox.load({ bundle: subject.bundle, identity: subject.identity, limits: subject.limits, log: NO_OP_LOG, codeCache });
}

/** The LoadedExtension runOperation takes, built from the prepared bundle instead of bundling again. */
export async function loadExtensionFromSubject(subject: Subject, codeCache?: CodeCache): Promise<LoadedExtension> {
  const sandbox = await loadSandbox(subject, codeCache);
  return {
    dir: subject.dir,
    manifest: subject.manifest,
    identity: subject.identity,
    bundle: subject.bundle,
    limits: subject.limits,
    sandbox,
  };
}

/** An operation and its input, as the figures call it. */
export interface OperationCall {
  operation: string;
  input: PlainValue | undefined;
}

export const GET_PLANS: OperationCall = { operation: 'getPlans', input: undefined };
export const VALIDATE_CONFIG: OperationCall = {
  operation: 'validateConfig',
  input: { hostname: 'web-1', plan: 'cx22', zone: 'fsn1' },
};
