import os from 'node:os';
import { toKebabCase } from '../data/operation-names.js';
import { toPlainData, type PlainValue } from '../data/plain-data.js';
import { registeredSource } from '../extension/extension-source.js';
import { ProvError } from '../errors/index.js';
import { requestedPermissions } from '../manifest/requested-permissions.js';
import { resolveLimits } from '../sandbox/limits.js';
import type { BundleBlobs } from './bundle-blobs.js';
import { grantStatus, type GrantStatus } from './grant-status.js';
import type { RegisteredExtension } from './registered-extension.js';

/** What `prov list` shows of one registered extension. */
export function listEntry(entry: RegisteredExtension, blobs: BundleBlobs, home = os.homedir()): { name: string; type: string; version: string; description: string | null; permissions: PlainValue } {
  const { loaded } = registeredSource(entry, blobs);
  return { name: entry.name, type: entry.type, version: entry.version, description: entry.description ?? null, permissions: toPlainData(requestedPermissions(loaded, home)) };
}

export interface RegisteredInfo {
  entry: RegisteredExtension;
  manifest: PlainValue;
  grants: GrantStatus;
  limits: { memory_mb: number; timeout_ms: number; cpu_ms: number; host_calls: number; host_bytes_mb: number };
  /** Whether the stored bundle and map still hash to what was recorded, and if not, why. */
  integrity: { ok: true } | { ok: false; problem: string };
}

/**
 * `prov info <name>`: the manifest, the operations with their input JSON
 * Schemas, permissions requested / granted / not granted under the policy,
 * the limits that apply, the hashes and whether the files still match them.
 */
export async function describeRegistered(entry: RegisteredExtension, blobs: BundleBlobs, policyFile: string, policyRequired: boolean, home = os.homedir()): Promise<RegisteredInfo> {
  const source = registeredSource(entry, blobs);
  const grants = await grantStatus(source.loaded, entry.sourceDir, policyFile, policyRequired, home);
  const limits = resolveLimits(source.loaded.manifest.limits);
  let integrity: RegisteredInfo['integrity'] = { ok: true };
  try {
    await source.bundle();
  } catch (error) {
    if (!(error instanceof ProvError) || error.code !== 'BundleTampered') throw error;
    integrity = { ok: false, problem: error.message };
  }
  return {
    entry,
    manifest: toPlainData(source.loaded.manifest),
    grants,
    limits: { memory_mb: limits.memoryMb, timeout_ms: limits.timeoutMs, cpu_ms: limits.cpuMs, host_calls: limits.maxHostCalls!, host_bytes_mb: Math.round(limits.maxHostBytes! / 1024 / 1024) },
    integrity,
  };
}

/** The info as one JSON document. */
export function infoDocument(info: RegisteredInfo): PlainValue {
  const { entry, grants } = info;
  return toPlainData({
    name: entry.name,
    type: entry.type,
    version: entry.version,
    description: entry.description ?? null,
    source_dir: entry.sourceDir,
    registered_at: entry.registeredAt,
    sha256: { bundle: entry.bundleSha256, source_map: entry.mapSha256 },
    integrity: info.integrity,
    operations: entry.operations.map((op) => ({ name: toKebabCase(op.name), function: op.name, description: op.description ?? null, input_schema: op.inputSchema ?? null })),
    ...(entry.components === undefined ? {} : { components: entry.components }),
    permissions: { requested: grants.requested, granted: grants.granted, not_granted: grants.notGranted, ...(grants.notice === undefined ? {} : { notice: grants.notice }) },
    limits: info.limits,
    manifest: info.manifest,
  });
}
