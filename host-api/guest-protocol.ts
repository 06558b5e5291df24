/**
 * The messages that cross the isolate boundary, shared by the host
 * (runtime/sandbox) and the guest prelude (runtime/sandbox/prelude.guest.ts).
 * Everything crosses as a JSON string; the host re-validates every message
 * because the guest is untrusted.
 */

/** Set as `__prov_boot` (a JSON string) before the prelude runs. */
export interface GuestBoot {
  /** Dotted names of the host calls `ctx` offers, e.g. `log.info`, `sleep`. */
  hostCalls: string[];
  /** Largest JSON payload (in UTF-16 units) the guest may send in one host call or result. */
  maxPayloadChars: number;
  /** `ctx.extension`, the same for every operation. */
  extension: { name: string; type: string; version: string; description?: string };
}

/** What the host passes to `__prov_run` (as a JSON string). */
export interface OperationRequest {
  /** Identifies this call; host calls carry it so late ones are dropped. */
  callId: number;
  operation: string;
  /** The input as JSON text, parsed by the guest. */
  inputJson: string;
  context: GuestContextData;
}

/** The data part of `ctx` (functions are added by the prelude). */
export interface GuestContextData {
  check: boolean;
  /** Epoch milliseconds after which the operation is ended. */
  deadline: number;
  target: { name: string } | null;
}

export interface InputIssue {
  path: (string | number)[];
  message: string;
  /** zod's issue fields (code, expected, minimum, …), for the host to word the message. */
  details?: Record<string, string | number | boolean | null | string[]>;
}

export interface ThrownError {
  name: string;
  message: string;
  stack: string;
  /** A `code` property the extension put on what it threw; reported, never trusted as prov's code. */
  code?: string;
}

/**
 * `__prov_run` resolves to a string that starts with one of these: `R`
 * followed by the result's JSON (status ok), or `O` followed by an
 * OperationOutcome as JSON (every other status).
 */
export const RUN_REPLY_RESULT = 'R';
export const RUN_REPLY_OUTCOME = 'O';

/** The outcome of `__prov_run`. */
export type OperationOutcome =
  | { status: 'ok'; resultJson: string }
  | { status: 'invalid-input'; issues: InputIssue[] }
  | { status: 'unknown-operation'; available: string[] }
  | { status: 'thrown'; error: ThrownError }
  | { status: 'bad-result'; message: string };

/** What `__prov_init` returns (as a JSON string): the extension as the guest sees it. */
export type InitOutcome =
  | { status: 'ok'; description: ExtensionDescription }
  | { status: 'invalid'; message: string };

export interface OperationDescription {
  name: string;
  description?: string;
  /** JSON Schema of the declared input, when the operation declares one. */
  inputSchema?: unknown;
  /** Set when the declared schema cannot be expressed as JSON Schema. */
  inputSchemaError?: string;
}

export interface ExtensionDescription {
  kind: string;
  operations: OperationDescription[];
  /** A cluster's components, as declared. */
  components?: unknown[];
}
