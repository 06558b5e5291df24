import { exitCodeFor, isUserErrorCode, type ErrorCode } from './error-codes.js';

export interface ProvErrorOptions {
  /** What the user can do about it. */
  hint?: string;
  cause?: unknown;
  /** Structured detail for `--json` (field-level input issues, the limit that was hit, …). */
  details?: Record<string, unknown>;
}

/** The JSON shape of an error in `--json` output and across the runtime API. */
export interface ProvErrorJson {
  code: ErrorCode;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
}

/**
 * The one error class prov reports. A user-facing code is printed as
 * code + message + hint; an internal one also carries its cause for debugging.
 */
export class ProvError extends Error {
  override readonly name = 'ProvError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ProvErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get exitCode(): number {
    return exitCodeFor(this.code);
  }

  get isUserError(): boolean {
    return isUserErrorCode(this.code);
  }

  toJSON(): ProvErrorJson {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** Wraps anything thrown into a ProvError; non-ProvErrors are prov bugs. */
export function toProvError(error: unknown): ProvError {
  if (error instanceof ProvError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ProvError('Internal', `Internal error: ${message}`, {
    cause: error,
    hint: 'This is a bug in prov. Run again with PROV_DEBUG=1 for the stack trace and report it.',
  });
}
