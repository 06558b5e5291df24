import type { HttpResponse, ProvContext } from 'prov/sdk';
import type { ProviderSettings } from './settings.js';

/**
 * The token never enters the sandbox: the host fills the placeholder in, and
 * only on requests to a host the operator granted (`--allow-secret
 * {{name}}.token@api.acme.example` binds it to the API host).
 */
const AUTHORIZATION = 'Bearer {{secret:{{name}}.token}}';

/**
 * An error answer of the API, `{"error": {"code", "message"}}`. `code` is the
 * API's own, shown in the message so the operator can look it up.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

/** What to do about the common failures, after the API's own message. */
const ADVICE: Readonly<Record<number, string>> = {
  401: 'check the API token given as the secret {{name}}.token (PROV_SECRET_{{NAME}}_TOKEN)',
  403: 'the token may not do this; use a token with write access',
  404: 'no such resource in this account',
  429: 'rate limited; retry after a while',
};

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A request as the operation meant to send it; under --check it is what the host planned instead. */
export interface ApiRequest {
  method: Method;
  url: string;
  body?: Record<string, unknown>;
}

/** Under --check a mutating call is not sent: the host planned it and answered `planned`. */
export interface Planned {
  planned: true;
  request: ApiRequest;
}

export type ApiAnswer<T> = { planned: false; data: T } | Planned;

/**
 * Sends one request to the API. A planned answer (check mode, anything but
 * GET/HEAD/OPTIONS) comes back as `planned` with nothing to parse; a 4xx/5xx
 * answer becomes an ApiError. Errors from the host (a denial, an unreachable
 * host) are not caught: they keep their code and exit status.
 */
export async function callApi<T>(ctx: ProvContext, settings: ProviderSettings, method: Method, path: string, body?: Record<string, unknown>): Promise<ApiAnswer<T>> {
  const request: ApiRequest = { method, url: `${settings.api.base_url}${path}`, ...(body === undefined ? {} : { body }) };
  const response = await ctx.http.fetch(request.url, {
    method,
    headers: { Authorization: AUTHORIZATION, Accept: 'application/json' },
    ...(body === undefined ? {} : { body }),
    ...(settings.api.timeout_ms === undefined ? {} : { timeoutMs: settings.api.timeout_ms }),
  });
  if ('planned' in response && response.planned) {
    await ctx.log.info(`would ${method} ${request.url}`);
    return { planned: true, request };
  }
  const answer = response as HttpResponse;
  if (answer.status >= 200 && answer.status < 300) {
    return { planned: false, data: (answer.body === '' ? {} : parseJson(answer, request)) as T };
  }
  throw apiError(answer, request);
}

/** A GET: sent under --check too, so it is never planned. */
export async function getJson<T>(ctx: ProvContext, settings: ProviderSettings, path: string): Promise<T> {
  const answer = await callApi<T>(ctx, settings, 'GET', path);
  if (answer.planned) throw new Error(`GET ${path} was planned, not sent`);
  return answer.data;
}

function parseJson(response: HttpResponse, request: ApiRequest): unknown {
  try {
    return response.json();
  } catch {
    throw new ApiError(`${request.method} ${request.url} answered ${response.status} with a body that is not JSON`, response.status, 'invalid_response');
  }
}

function apiError(response: HttpResponse, request: ApiRequest): ApiError {
  let code = `http_${response.status}`;
  let message = '';
  try {
    const body = response.json<{ error?: { code?: unknown; message?: unknown } }>();
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // Not the API's JSON (a proxy's error page): the status says what there is to say.
  }
  const advice = ADVICE[response.status];
  const text = `{{Name}} API ${request.method} ${request.url} failed with ${response.status} ${code}${message ? `: ${message}` : ''}${advice ? `; ${advice}` : ''}`;
  return new ApiError(text, response.status, code);
}
