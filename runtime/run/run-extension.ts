import type { ExtensionIdentity } from '../../host-api/sdk/context.js';
import type { PlainValue } from '../data/plain-data.js';
import type { ExtensionSource } from '../extension/extension-source.js';
import { loadExtension, type LoadExtensionOptions } from '../extension/load-extension.js';
import type { CallOptions } from '../sandbox/extension-sandbox.js';
import type { OperationResult } from '../sandbox/operation-result.js';
import { runOperation } from './run-operation.js';

export interface RunExtensionResult extends OperationResult {
  identity: ExtensionIdentity;
}

/** `prov run`: loads the extension (a directory or a resolved source), runs one operation, and ends its sandbox. */
export async function runExtension(
  extensionRef: string | ExtensionSource,
  operation: string,
  input: PlainValue | undefined,
  options: LoadExtensionOptions & CallOptions,
): Promise<RunExtensionResult> {
  const extension = await loadExtension(extensionRef, options);
  try {
    const outcome = await runOperation(extension, operation, input, options);
    return { identity: extension.identity, ...outcome };
  } finally {
    extension.sandbox.dispose();
  }
}
