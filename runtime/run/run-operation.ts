import type { PlainValue } from '../data/plain-data.js';
import { toPlainData } from '../data/plain-data.js';
import type { LoadedExtension } from '../extension/load-extension.js';
import { toCamelCase, toKebabCase } from '../data/operation-names.js';
import type { OperationResult } from '../sandbox/operation-result.js';
import type { CallOptions } from '../sandbox/extension-sandbox.js';

/**
 * Runs an operation by either spelling. `info` is answered by the runtime:
 * name, version, kind, operations with their input JSON Schemas, limits,
 * requested permissions and the bundle's hash.
 */
export async function runOperation(
  extension: LoadedExtension,
  operation: string,
  input: PlainValue | undefined,
  options: CallOptions = {},
): Promise<OperationResult> {
  const name = toCamelCase(operation);
  if (name === 'info') return { result: await describeExtension(extension), changed: false };
  return extension.sandbox.call(name, input, options);
}

export async function describeExtension(extension: LoadedExtension): Promise<PlainValue> {
  const description = await extension.sandbox.describe();
  const { identity, limits, manifest, bundle } = extension;
  return toPlainData({
    name: identity.name,
    kind: identity.type,
    version: identity.version,
    description: identity.description ?? null,
    operations: description.operations.map((op) => ({
      name: toKebabCase(op.name),
      function: op.name,
      description: op.description ?? null,
      input_schema: op.inputSchema ?? null,
      ...(op.inputSchemaError === undefined ? {} : { input_schema_error: op.inputSchemaError }),
    })),
    ...(description.components === undefined ? {} : { components: description.components }),
    permissions: (manifest as Record<string, unknown>)['permissions'] ?? {},
    limits: { memory_mb: limits.memoryMb, timeout_ms: limits.timeoutMs, cpu_ms: limits.cpuMs },
    sha256: bundle.sha256,
  });
}
