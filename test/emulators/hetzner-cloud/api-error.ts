/**
 * Errors as the Hetzner Cloud API answers them (docs.hetzner.cloud,
 * "Errors"): an HTTP status and `{"error": {"code", "message", "details"}}`,
 * the code from Hetzner's table, each with the status the real API uses.
 */

/** Hetzner's error codes and their HTTP statuses. */
export const ERROR_STATUS = {
  forbidden: 403,
  unauthorized: 401,
  invalid_input: 400,
  json_error: 400,
  locked: 423,
  not_found: 404,
  rate_limit_exceeded: 429,
  resource_limit_exceeded: 403,
  resource_unavailable: 412,
  server_error: 500,
  service_error: 503,
  uniqueness_error: 409,
  protected: 423,
  maintenance: 503,
  conflict: 409,
  unsupported_error: 400,
  token_readonly: 403,
  unavailable: 503,
  timeout: 504,
  deprecated_api_endpoint: 410,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** An error answer; thrown by route handlers, turned into the response by the emulator. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: string;
  readonly details: Record<string, unknown>;
  readonly status: number;
  constructor(code: string, message: string, details: Record<string, unknown> = {}, status?: number) {
    super(message);
    this.code = code;
    this.details = details;
    this.status = status ?? ERROR_STATUS[code as ErrorCode] ?? 500;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export interface FieldProblem {
  name: string;
  messages: string[];
}

/**
 * `invalid_input` naming each wrong field, as the real API's details do.
 * 400 for a body that does not fit the schema; 422 for well-formed values
 * that name nothing that exists (an unknown ssh key, server type, image or
 * location in POST /servers: users of the real API report 422 there).
 */
export function invalidInput(fields: FieldProblem[], status: 400 | 422 = 400): ApiError {
  const message = `invalid input in field${fields.length > 1 ? 's' : ''} ${fields.map((field) => `'${field.name}'`).join(', ')}`;
  return new ApiError('invalid_input', message, { fields }, status);
}

export function notFound(resource: string, id: string | number): ApiError {
  return new ApiError('not_found', `${resource} with ID ${id} not found`);
}

export function uniquenessError(message: string, field: string): ApiError {
  return new ApiError('uniqueness_error', message, { fields: [{ name: field }] });
}

export function locked(): ApiError {
  return new ApiError('locked', 'The item you are trying to access is locked (there is already an Action running)');
}
