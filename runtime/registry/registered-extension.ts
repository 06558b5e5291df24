import type { ExtensionKind } from '../manifest/manifest-schema.js';

/** An operation as the registry keeps it: what `prov info` publishes without running the extension. */
export interface RegisteredOperation {
  /** camelCase, as the code spells it. */
  name: string;
  description?: string;
  /** The input's JSON Schema, when the operation declares one. */
  inputSchema?: unknown;
}

/** One row of the registry. */
export interface RegisteredExtension {
  name: string;
  type: ExtensionKind;
  version: string;
  description?: string;
  /** The metadata.toml text as registered. */
  manifest: string;
  /** The directory it was registered from, links resolved: its grants in the policy file are bound to it. */
  sourceDir: string;
  bundleSha256: string;
  mapSha256: string;
  operations: RegisteredOperation[];
  /** Cluster components, when the extension is a cluster. */
  components?: unknown;
  registeredAt: string;
}
