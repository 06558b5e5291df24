import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  emptyGrant,
  bundleExtension,
  IsolateSandbox,
  MemoryCodeCache,
  readManifest,
  resolveLimits,
  Sandbox,
  SandboxHost,
  type CodeCache,
  type ExtensionBundle,
  type ExtensionSandbox,
  type LoadedExtension,
  type LogSink,
  type Manifest,
  type ResolvedLimits,
  type SandboxOptions,
  type AuditSink,
  type GrantView,
} from '../dist/runtime/index.js';
import type { PlainValue } from '../dist/runtime/index.js';

/** Extension logs go nowhere: the bench measures the runtime, not a terminal. */
export const NO_OP_LOG: LogSink = { write() {} };

/**
 * The two layers every figure is measured on:
 *   process   `Sandbox`: the isolate in a supervised child process, talking over
 *             Node IPC — what prov runs (`loadExtension` by default);
 *   isolate   `IsolateSandbox`: the isolate in this process — the layer's floor.
 */
export type Layer = 'process' | 'isolate';
export const LAYERS: readonly Layer[] = ['process', 'isolate'];
export const LAYER_NAMES: Record<Layer, string> = { process: 'Sandbox', isolate: 'IsolateSandbox' };

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

// ---------------------------------------------------------------- in-process isolate

/** New isolate in this process with the prelude and the bundle loaded. */
export function loadIsolateSandbox(
  subject: Subject,
  codeCache: CodeCache = new MemoryCodeCache(),
  log: LogSink = NO_OP_LOG,
  access: { grant?: GrantView; audit?: AuditSink } = {},
): Promise<IsolateSandbox> {
  return IsolateSandbox.load({ bundle: subject.bundle, identity: subject.identity, limits: subject.limits, log, codeCache, ...access });
}

// ---------------------------------------------------------------- process-isolated sandbox

/**
 * Every host process the bench starts, directly (spawnReadyHost) or through
 * Sandbox.load without a host. `reapHosts` ends and waits for all of them.
 */
const hosts = new Set<SandboxHost>();

function track(host: SandboxHost | undefined): void {
  if (host !== undefined) hosts.add(host);
}

/**
 * The isolate in a host process. Without `host`, Sandbox.load spawns one
 * (timed with it); with one, the load goes to that already-running process.
 * `codeCacheDir`: where the host keeps V8 code caches (none: in its memory).
 */
export async function loadProcessSandbox(
  subject: Subject,
  options: { host?: SandboxHost; codeCacheDir?: string; log?: LogSink; grant?: GrantView; audit?: AuditSink } = {},
): Promise<Sandbox> {
  track(options.host);
  const sandbox = await Sandbox.load({
    bundle: subject.bundle,
    identity: subject.identity,
    limits: subject.limits,
    log: options.log ?? NO_OP_LOG,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.codeCacheDir === undefined ? {} : { codeCacheDir: options.codeCacheDir }),
    ...(options.grant === undefined ? {} : { grant: options.grant }),
    ...(options.audit === undefined ? {} : { audit: options.audit }),
  });
  track(sandbox.host);
  return sandbox;
}

/**
 * Spawns a host process and waits until it answers, so that a load sent to
 * it next is timed without the process start. The probe is a `describe`
 * before any load, which the host refuses ("no extension loaded") — a full
 * round trip through its message loop. Resolves with the host and the time
 * from spawn to that answer.
 */
export async function spawnReadyHost(): Promise<{ host: SandboxHost; readyMs: number }> {
  const start = performance.now();
  const host = SandboxHost.spawn();
  track(host);
  try {
    await host.request({ type: 'describe' }).reply;
  } catch (error) {
    if (!host.alive) throw error;
    // Refused as expected: the host is up and listening.
    return { host, readyMs: performance.now() - start };
  }
  host.kill();
  throw new Error('a fresh sandbox host described an extension before any was loaded');
}

/** Waits (polling, untimed) until `host`'s process has exited, so its teardown does not overlap the next sample. */
export async function waitForExit(host: SandboxHost, timeoutMs = 5_000): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (host.alive) {
    if (performance.now() > until) throw new Error(`a sandbox host was still running ${timeoutMs} ms after it was ended`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Disposes a sandbox; for a Sandbox also waits until its host process is gone. */
export async function disposeSandbox(sandbox: ExtensionSandbox): Promise<void> {
  const host = sandbox instanceof Sandbox ? sandbox.host : undefined;
  sandbox.dispose();
  if (host !== undefined) await waitForExit(host);
}

/** Ends every host process the bench started that is still running; returns how many were still alive. */
export async function reapHosts(): Promise<{ started: number; stillAlive: number }> {
  let stillAlive = 0;
  for (const host of hosts) {
    if (!host.alive) continue;
    stillAlive++;
    host.kill();
    await waitForExit(host);
  }
  return { started: hosts.size, stillAlive };
}

/** A fresh, empty code cache directory under the OS temp dir. */
export async function tempCacheDir(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'prov-bench-cache-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------- either layer

/** The LoadedExtension runOperation takes, built from the prepared bundle instead of bundling again. */
export async function loadExtensionFromSubject(
  subject: Subject,
  layer: Layer,
  log: LogSink = NO_OP_LOG,
  access: { grant?: GrantView; audit?: AuditSink } = {},
): Promise<LoadedExtension> {
  const sandbox = layer === 'isolate' ? await loadIsolateSandbox(subject, undefined, log, access) : await loadProcessSandbox(subject, { log, ...access });
  return {
    dir: subject.dir,
    origin: 'directory',
    manifest: subject.manifest,
    identity: subject.identity,
    bundle: subject.bundle,
    limits: subject.limits,
    grant: access.grant ?? emptyGrant(subject.dir),
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
