/**
 * Every error prov reports has a code from one of these two sets, and every
 * code has an exit code (PRODUCT.md §5: 0 ok, 1 operation failed, 2 usage,
 * 3 validation failed, 4 permission denied, 5 limit exceeded).
 */

/** Codes for mistakes a user (operator or author) can fix: shown without a stack trace. */
export const USER_ERROR_CODES = {
  /** The command line itself is wrong: unknown option, missing argument. */
  Usage: 2,
  /** `--input` is not JSON. */
  InvalidJson: 2,
  /** The `--config` file is not valid JSON or TOML. */
  InvalidConfig: 2,
  /** The operation's input failed its declared schema. */
  InvalidInput: 2,
  /** The named operation does not exist on this extension. */
  UnknownOperation: 2,
  /** A file named on the command line does not exist. */
  FileNotFound: 2,
  /** The directory has no metadata.toml. */
  ManifestNotFound: 2,
  /** metadata.toml is not valid TOML. */
  ManifestSyntax: 3,
  /** metadata.toml is TOML but a field is missing or wrong. */
  ManifestInvalid: 3,
  /** esbuild could not bundle the extension. */
  BuildFailed: 3,
  /** `prov validate` found errors (the findings are in details). */
  ValidationFailed: 3,
  /** The bundle does not export what its kind requires. */
  InvalidExtension: 3,
  /** A call outside the effective grant. */
  PermissionDenied: 4,
  /** Memory, CPU or wall-clock limit breached; the isolate was disposed. */
  LimitExceeded: 5,
  /** The extension's operation threw or rejected. */
  OperationFailed: 1,
  /** A granted host call reached its target and failed there (no such file, connection refused, bad status line). */
  HostCallFailed: 1,
  /** A secret the extension is granted is not in the operator's secret source. */
  SecretNotFound: 2,
  /** The policy file or secrets file is malformed or has unsafe permissions. */
  PolicyInvalid: 2,
  /** The audit log could not be written (disk full, permissions): the operation ends rather than run unrecorded. */
  AuditFailed: 1,
  /** The operation was cancelled (Ctrl-C, a newer dev-loop cycle). */
  Cancelled: 1,
  /** `--wait`: the server did not reach the awaited status within --timeout (the operation itself was done). */
  WaitTimedOut: 1,
  /** No extension of that name is registered (and no directory of that name exists). */
  NotRegistered: 2,
  /** Registering would replace a newer or same-numbered, different version: needs --force. */
  RegistryConflict: 2,
  /** A registered bundle or source map no longer hashes to what the registry recorded: refused. */
  BundleTampered: 3,
  /** Another prov command replaced or unregistered the extension between this one's lookup and its read of the bundle: run again. */
  RegistryChanged: 1,
  /** `prov test`: a test of the extension failed, or a test file could not run (the failures are in details). */
  TestsFailed: 1,
  /** A cluster's components cannot be ordered: a duplicate name, a dependency on no component of the cluster, a cycle. */
  ClusterInvalid: 3,
  /** A cluster deploy or delete stopped at a component that failed (each component's outcome is in the report). */
  ComponentFailed: 1,
  /** Another live prov process is deploying, rolling back or deleting the same cluster. */
  ClusterBusy: 1,
  /** No deployment of that cluster is recorded. */
  ClusterNotDeployed: 2,
  /** The cluster is deployed on another inventory server than the one given: operations act where it is. */
  ClusterElsewhere: 2,
} as const;

/** Codes for prov's own faults: reported with their cause, exit 1. */
export const INTERNAL_ERROR_CODES = {
  /** A bug in prov. */
  Internal: 1,
  /** The sandbox broke in a way no limit explains (isolate died, bridge protocol violated). */
  SandboxFailure: 1,
} as const;

export type UserErrorCode = keyof typeof USER_ERROR_CODES;
export type InternalErrorCode = keyof typeof INTERNAL_ERROR_CODES;
export type ErrorCode = UserErrorCode | InternalErrorCode;

export function exitCodeFor(code: ErrorCode): number {
  if (Object.hasOwn(USER_ERROR_CODES, code)) return USER_ERROR_CODES[code as UserErrorCode];
  return INTERNAL_ERROR_CODES[code as InternalErrorCode];
}

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(USER_ERROR_CODES, code) || Object.hasOwn(INTERNAL_ERROR_CODES, code);
}

export function isUserErrorCode(code: ErrorCode): code is UserErrorCode {
  return Object.hasOwn(USER_ERROR_CODES, code);
}
