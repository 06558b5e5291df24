/**
 * `ctx.http`: HTTP(S) requests to the hosts the operator granted. The host
 * makes the request: it resolves the name, refuses private and loopback
 * addresses unless that literal address is granted, connects to the address
 * it checked, follows redirects itself (each hop checked again) and fills in
 * `{{secret:NAME}}` placeholders so the extension never sees the value.
 */

/** What `ctx.http.fetch` accepts besides the URL. Any other option is refused. */
export interface HttpRequestInit {
  /** Any HTTP token; under `--check` only GET, HEAD and OPTIONS are sent, everything else is planned. Default GET. */
  method?: string;
  /** Header values may hold `{{secret:NAME}}` placeholders for names in `[permissions] secrets`. */
  headers?: Record<string, string>;
  /** A string is sent as is; anything else is sent as JSON (with `Content-Type: application/json` unless given). */
  body?: string | Record<string, unknown> | unknown[];
  /** `follow` (default, at most 10 hops), `manual` (the 3xx response is returned) or `error`. */
  redirect?: 'follow' | 'manual' | 'error';
  /** Milliseconds; never longer than the operation has left. */
  timeoutMs?: number;
}

/** A response, read in full by the host (up to its size cap). */
export interface HttpResponse {
  status: number;
  /** Lower-case header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body as text (UTF-8). */
  body: string;
  /** The final URL after redirects. */
  url: string;
  /** `body` parsed as JSON. */
  json<T = unknown>(): T;
}

/** Under `--check`, a mutating request is not sent: the host records it in the plan and answers this. */
export interface PlannedResponse {
  planned: true;
  status: 0;
  headers: Record<string, string>;
  body: '';
  url: string;
  json<T = unknown>(): T;
}

/**
 * @example
 * const response = await ctx.http.fetch('https://api.hetzner.cloud/v1/servers', {
 *   headers: { Authorization: 'Bearer {{secret:hetzner.token}}' },
 * });
 * if (response.status !== 200) throw new Error(`Hetzner answered ${response.status}`);
 * const { servers } = response.json<{ servers: unknown[] }>();
 */
export interface HttpClient {
  fetch(url: string, init?: HttpRequestInit): Promise<HttpResponse | PlannedResponse>;
}
