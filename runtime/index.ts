/** prov's runtime as a library: what the CLI, `prov test` and other tools build on. */
export { ProvError, toProvError, type ProvErrorJson } from './errors/index.js';
export { exitCodeFor, USER_ERROR_CODES, INTERNAL_ERROR_CODES, type ErrorCode } from './errors/index.js';
export { readManifest, parseManifest, MANIFEST_FILE, type LoadedManifest } from './manifest/read-manifest.js';
export type { Manifest, ExtensionKind } from './manifest/manifest-schema.js';
export { bundleExtension, type ExtensionBundle } from './build/bundle-extension.js';
export { buildExtension, type BuildResult } from './build/build-extension.js';
export { loadExtension, type LoadedExtension, type LoadExtensionOptions } from './extension/load-extension.js';
export { runOperation, describeExtension, toCamelCase } from './run/run-operation.js';
export { parseInputJson, readConfigFile } from './run/read-input.js';
export { Sandbox, type SandboxOptions } from './sandbox/sandbox.js';
export { IsolateSandbox, type SandboxOptions as IsolateSandboxOptions } from './sandbox/isolate-sandbox.js';
export { SandboxHost } from './sandbox/process/sandbox-host.js';
export type { ExtensionSandbox, CallOptions, JsonOperationResult } from './sandbox/extension-sandbox.js';
export { resolveLimits, DEFAULT_LIMITS, LIMIT_CAPS, type ResolvedLimits } from './sandbox/limits.js';
export { MemoryCodeCache, FileCodeCache, type CodeCache } from './sandbox/code-cache.js';
export type { OperationResult, PlanEntry } from './sandbox/operation-result.js';
export type { PlainValue, PlainObject } from './data/plain-data.js';
export type { LogSink, LogEntry, LogLevel, Capability } from '../host-api/capability.js';
