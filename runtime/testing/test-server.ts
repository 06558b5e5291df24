import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the test server received it. */
export interface TestRequest {
  method: string;
  /** Path and query: `/v1/servers?page=1`. */
  url: string;
  /** The path without the query: `/v1/servers`. */
  path: string;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string>>;
  /** The body as text (`''` when there is none). */
  body: string;
  /** The body parsed as JSON (undefined when there is none). */
  json<T = any>(): T;
}

/** What the handler answers. */
export interface TestResponse {
  /** Default 200. */
  status?: number;
  headers?: Readonly<Record<string, string>>;
  /** A string is sent as is; anything else as JSON (with `content-type: application/json`). Default: no body. */
  body?: unknown;
}

export type TestHandler = (request: TestRequest) => TestResponse | Promise<TestResponse>;

/** A local HTTP server started by a test, to stand in for an API the extension calls. */
export interface TestServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`: what `grant.http` and `alsoRequest.http` take, and the base of its URLs. */
  readonly origin: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: readonly TestRequest[];
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on 127.0.0.1 (a free port) that answers with
 * `handler` and records every request. A handler that throws answers 500
 * with the error's message. The extension reaches it only when its origin
 * is requested and granted (`alsoRequest` and `grant` of loadForTest):
 * loopback addresses need a grant of that literal address.
 *
 * @example
 * import { startTestServer } from 'prov/testing';
 *
 * await using api = await startTestServer((request) =>
 *   request.method === 'GET' && request.path === '/v1/account'
 *     ? { body: { account: { id: 'acct-1' } } }
 *     : { status: 404, body: { error: { code: 'not_found', message: request.path } } },
 * );
 * // … point the extension at `${api.origin}/v1`, run it, then:
 * expect(api.requests.map((request) => `${request.method} ${request.path}`)).toEqual(['GET /v1/account']);
 */
export async function startTestServer(handler: TestHandler): Promise<TestServer> {
  const requests: TestRequest[] = [];
  const server = http.createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = incoming.url ?? '/';
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(incoming.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const request: TestRequest = {
        method: incoming.method ?? 'GET',
        url,
        path: url.split('?')[0]!,
        headers,
        body,
        json: () => (body === '' ? undefined : JSON.parse(body)),
      };
      requests.push(request);
      void answer(handler, request, response);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }));
  return { origin: `http://127.0.0.1:${port}`, port, requests, close, [Symbol.asyncDispose]: close };
}

async function answer(handler: TestHandler, request: TestRequest, response: http.ServerResponse): Promise<void> {
  let reply: TestResponse;
  try {
    reply = await handler(request);
  } catch (error) {
    reply = { status: 500, body: { error: { code: 'test_handler_failed', message: error instanceof Error ? error.message : String(error) } } };
  }
  const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  const json = reply.body !== undefined && typeof reply.body !== 'string';
  response.writeHead(reply.status ?? 200, { ...(json ? { 'content-type': 'application/json' } : {}), ...reply.headers });
  response.end(text);
}
