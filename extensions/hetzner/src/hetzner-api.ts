import type { HttpResponse, ProvContext } from 'prov/sdk';
import type { ApiRequest } from './hetzner-request.js';
import type { ProviderSettings } from './settings.js';

/**
 * An error answer of the Hetzner Cloud API, `{"error": {"code", "message"}}`.
 * `code` is Hetzner's (unauthorized, not_found, invalid_input,
 * uniqueness_error, rate_limit_exceeded, …), shown in the message so the
 * operator can look it up in Hetzner's documentation.
 */
export class HetznerApiError extends Error {
  override name = 'HetznerApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

/** What to do about the common failures, after Hetzner's own message. */
const ADVICE: Readonly<Record<number, string>> = {
  401: 'check the API token given as the secret hetzner.token (PROV_SECRET_HETZNER_TOKEN)',
  403: 'the token is read-only or the project forbids this; use a read & write token',
  404: 'no such resource in this project',
  429: 'rate limited (3600 requests an hour per project); retry after a while',
};

/** Under --check a mutating call is not sent: the host planned it and answered `planned`. */
export interface Planned {
  planned: true;
  request: { method: string; url: string; body?: Record<string, unknown> };
}

export type ApiAnswer<T> = { planned: false; data: T } | Planned;

/**
 * Sends one request to the API. A planned answer (check mode, non-GET) comes
 * back as `planned` without a body to parse; a 4xx/5xx answer becomes a
 * HetznerApiError. Errors from the host (a denial, an unreachable host) are
 * not caught: they keep their code and exit status.
 */
export async function callApi<T>(ctx: ProvContext, settings: ProviderSettings, request: ApiRequest): Promise<ApiAnswer<T>> {
  const response = await ctx.http.fetch(request.url, {
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    ...(settings.timeout_ms === undefined ? {} : { timeoutMs: settings.timeout_ms }),
  });
  if ('planned' in response && response.planned) {
    await ctx.log.info(`would ${request.method} ${request.url}`);
    return { planned: true, request: { method: request.method, url: request.url, ...(request.body === undefined ? {} : { body: request.body }) } };
  }
  const answer = response as HttpResponse;
  if (answer.status >= 200 && answer.status < 300) {
    return { planned: false, data: (answer.body === '' ? {} : parseJson(answer, request)) as T };
  }
  throw apiError(answer, request);
}

function parseJson(response: HttpResponse, request: ApiRequest): unknown {
  try {
    return response.json();
  } catch {
    throw new HetznerApiError(`${request.method} ${request.url} answered ${response.status} with a body that is not JSON`, response.status, 'invalid_response');
  }
}

function apiError(response: HttpResponse, request: ApiRequest): HetznerApiError {
  let code = `http_${response.status}`;
  let message = '';
  try {
    const body = response.json<{ error?: { code?: unknown; message?: unknown } }>();
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // Not Hetzner's JSON (a proxy's error page): the status says what there is to say.
  }
  const advice = ADVICE[response.status];
  const text = `Hetzner API ${request.method} ${request.url} failed with ${response.status} ${code}${message ? `: ${message}` : ''}${advice ? `; ${advice}` : ''}`;
  return new HetznerApiError(text, response.status, code);
}
