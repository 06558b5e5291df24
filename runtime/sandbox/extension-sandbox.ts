import type { ExtensionDescription } from '../../host-api/guest-protocol.js';
import type { ExtensionIdentity, Target } from '../../host-api/sdk/context.js';
import { parsePlainJson, type PlainValue } from '../data/plain-data.js';
import { ProvError } from '../errors/index.js';
import { escapeControl } from '../data/control-characters.js';
import type { OperationResult, PlanEntry } from './operation-result.js';

export interface CallOptions {
  /** Check mode: the host performs no mutating call. */
  check?: boolean;
  target?: Target | null;
  /** Cancels the operation: its signal is aborted in the guest, then the isolate is ended. */
  signal?: AbortSignal;
}

/** An operation's result before the host parses it: the guest's JSON text. */
export interface JsonOperationResult {
  resultJson: string;
  changed: boolean;
  plan?: PlanEntry[];
}

/**
 * A loaded extension that runs operations. Two implementations: the
 * IsolateSandbox (an isolate in this process) and the Sandbox (that isolate
 * in a supervised child process, which is what prov uses: a V8 heap abort
 * there cannot take the host down).
 */
export interface ExtensionSandbox {
  readonly identity: ExtensionIdentity;
  /** Operations and kind, as the loaded bundle defines them (without input JSON Schemas). */
  readonly description: ExtensionDescription;
  /** The description with each operation's input as JSON Schema. */
  describe(): Promise<ExtensionDescription>;
  /** Runs one operation. `input` is plain data (undefined: none). */
  call(operation: string, input: PlainValue | undefined, options?: CallOptions): Promise<OperationResult>;
  /** Ends the sandbox for good. */
  dispose(): void;
}

/** The guest's result text as prototype-free data. */
export function toOperationResult(operation: string, raw: JsonOperationResult): OperationResult {
  let result: PlainValue;
  try {
    result = parsePlainJson(raw.resultJson);
  } catch (error) {
    throw new ProvError('OperationFailed', `${operation} returned something that is not JSON data (${escapeControl((error as Error).message)})`);
  }
  return { result, changed: raw.changed, ...(raw.plan === undefined ? {} : { plan: raw.plan }) };
}
