/**
 * Adversarial end-to-end tests of `ctx.http.fetch` (PRODUCT.md §3, §3.1):
 * every other spelling of a loopback/private address, schemes that are not
 * http(s), redirects that leave the grant, options that would pick the
 * socket, response size and time caps, and check mode. Each denied row is
 * proved twice: by the exact error the extension caught, and by a canary
 * server that counts every TCP connection it receives (it must stay at 0).
 *
 * One `prov run` covers a whole table: the operation takes the attempts as
 * its input, catches each call's error and returns one outcome per row.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProv, type CliResult } from '../helpers/run-cli.js';
import { outcomesById, tomlList } from '../helpers/attempt-table.js';
import { createTempExtension, providerSource, type TempExtension } from '../helpers/temp-extension.js';

// ---------------------------------------------------------------- servers

interface Hit {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

interface TestServer {
  server: Server;
  port: number;
  host: string;
  /** Every request that arrived. */
  hits: Hit[];
  /** Every TCP connection, even one that never sent a request (TLS, garbage). */
  connections: number;
  close(): Promise<void>;
}

type Handler = (request: IncomingMessage, response: ServerResponse, body: string, self: TestServer) => void;

/** Answers /echo with 200 and a JSON description, /redirect?to=URL[&status=N] with a redirect, /loop with a redirect to itself, /huge with 20 MB, /slow never. */
const echoHandler: Handler = (request, response, body) => {
  const url = new URL(request.url ?? '/', 'http://x');
  if (url.pathname.startsWith('/redirect')) {
    response.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('to') ?? '/' });
    response.end();
    return;
  }
  if (url.pathname === '/loop') {
    response.writeHead(302, { location: '/loop' });
    response.end();
    return;
  }
  if (url.pathname === '/huge') {
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let sent = 0;
    const pump = (): void => {
      while (sent < 20) {
        sent++;
        if (!response.write(chunk)) {
          response.once('drain', pump);
          return;
        }
      }
      response.end();
    };
    response.on('error', () => undefined);
    pump();
    return;
  }
  if (url.pathname === '/drip') {
    // a byte every 100 ms, forever: each read makes progress, only a whole-exchange timeout ends it
    response.writeHead(200, { 'content-type': 'text/plain' });
    const timer = setInterval(() => response.write('.'), 100);
    response.on('close', () => clearInterval(timer));
    return;
  }
  if (url.pathname === '/slow') {
    // never answers; the connection stays open until the client gives up
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ method: request.method, path: url.pathname, bodyLength: body.length }));
};

/** A canary answers 200 "canary" to anything: reaching it at all is the failure. */
const canaryHandler: Handler = (_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain' });
  response.end('canary');
};

async function startServer(host: string, handler: Handler, ipv6Only = false): Promise<TestServer> {
  const self = { hits: [] as Hit[], connections: 0 } as TestServer;
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      self.hits.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      handler(request, response, body, self);
    });
  });
  server.on('connection', (socket) => {
    self.connections++;
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0, ipv6Only }, () => resolve());
  });
  self.server = server;
  self.host = host;
  self.port = (server.address() as AddressInfo).port;
  self.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return self;
}

/**
 * The canary listens on every address of the machine (dual-stack `::` when
 * the kernel has IPv6), so 127.0.0.1, 127.0.0.2, 0.0.0.0, ::1 and
 * ::ffff:127.0.0.1 on its port all reach it.
 */
async function startCanary(): Promise<TestServer> {
  try {
    return await startServer('::', canaryHandler);
  } catch {
    return await startServer('0.0.0.0', canaryHandler);
  }
}

// ---------------------------------------------------------------- the extension

/**
 * `listServers` runs every attempt of its input and returns one outcome each;
 * `getZones` fetches its input's URL uncaught (for exit codes and the --json
 * error document).
 */
const SOURCE = providerSource({
  listServers: `async listServers(input: any, ctx: any) {
    const out: any[] = [];
    for (const attempt of input.attempts) {
      const init: any = attempt.init === undefined ? undefined : { ...attempt.init };
      if (attempt.fnOption !== undefined) init[attempt.fnOption] = () => undefined;
      const started = Date.now();
      try {
        const response = await ctx.http.fetch(attempt.url, init);
        out.push({ id: attempt.id, ok: true, status: response.status, url: response.url, planned: response.planned === true,
          body: typeof response.body === 'string' ? response.body.slice(0, 200) : null, ms: Date.now() - started });
      } catch (error: any) {
        out.push({ id: attempt.id, ok: false, code: error?.code ?? null, name: error?.name ?? null, message: String(error?.message ?? error),
          hint: error?.hint ?? null, reason: error?.reason ?? null, ms: Date.now() - started });
      }
    }
    return out;
  }`,
  getZones: `async getZones(input: any, ctx: any) {
    const response = await ctx.http.fetch(input.url, input.init);
    return { status: response.status };
  }`,
});

interface Outcome {
  id: string;
  ok: boolean;
  status?: number;
  url?: string;
  planned?: boolean;
  body?: string | null;
  code?: string | null;
  message?: string;
  hint?: string | null;
  reason?: string | null;
  ms: number;
}

interface Attempt {
  id: string;
  url: string;
  init?: Record<string, unknown>;
  /** Name of an option set to a function inside the guest (functions do not survive JSON). */
  fnOption?: string;
}

function escapeRegExp(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

/** The exact denial for an origin the manifest does not list. */
function notAsked(value: string): string {
  return `Requires http access to "${value}"; metadata.toml does not ask for it`;
}

const byId = (result: CliResult) => outcomesById<Outcome>(result);

function grantFlags(flag: string, values: string[]): string[] {
  return values.flatMap((value) => [flag, value]);
}

// ---------------------------------------------------------------- tests

describe('ctx.http.fetch refuses what the grant does not name', () => {
  let canary: TestServer;
  let a: TestServer; // granted http://127.0.0.1:A
  let b: TestServer; // granted http://127.0.0.1:B
  let e: TestServer; // granted https only (127.0.0.1:E)
  let d: TestServer; // asked for by the manifest, not granted by the operator
  let ext: TempExtension;
  let outcomes: Map<string, Outcome>;
  let run: CliResult;
  let C: number;

  type Expect =
    | { kind: 'exact'; message: string; hint?: RegExp }
    | { kind: 'denied'; message: RegExp }
    | { kind: 'error' }
    | { kind: 'ok'; status: number; url?: RegExp };
  interface Row extends Attempt {
    why: string;
    expect: Expect;
  }
  let rows: Row[] = [];

  beforeAll(async () => {
    canary = await startCanary();
    a = await startServer('127.0.0.1', echoHandler);
    b = await startServer('127.0.0.1', echoHandler);
    e = await startServer('127.0.0.1', canaryHandler);
    d = await startServer('127.0.0.1', canaryHandler);
    C = canary.port;
    const A = `http://127.0.0.1:${a.port}`;
    const B = `http://127.0.0.1:${b.port}`;
    const manifestHttp = [A, B, `127.0.0.1:${e.port}`, `http://127.0.0.1:${d.port}`, `http://localhost:${C}`, 'api.example.com', '*.example.com'];
    // the operator also grants the canary's origin and a wide wildcard the manifest never asks for: that widens nothing
    const operatorHttp = [A, B, `127.0.0.1:${e.port}`, `http://localhost:${C}`, 'api.example.com', '*.example.com', `http://127.0.0.1:${C}`, `http://[::1]:${C}`, '*.com'];
    const ADDRESS_DENIAL = /http access to/;
    const T = { timeoutMs: 2000 };
    rows = [
      // other spellings of the canary's loopback address: never granted as a literal
      { id: 'decimal', why: 'dotless decimal 127.0.0.1', url: `http://2130706433:${C}/r-decimal`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'octal', why: 'octal first octet', url: `http://0177.0.0.1:${C}/r-octal`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'hex-octet', why: 'hex first octet', url: `http://0x7f.0.0.1:${C}/r-hex-octet`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'hex32', why: 'one 32-bit hex number', url: `http://0x7f000001:${C}/r-hex32`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'short', why: 'short form 127.1', url: `http://127.1:${C}/r-short`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'zero', why: '0 = 0.0.0.0 reaches local listeners on Linux', url: `http://0:${C}/r-zero`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'ipv6-loopback', why: '::1', url: `http://[::1]:${C}/r-ipv6-loopback`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'ipv4-mapped', why: '::ffff:127.0.0.1', url: `http://[::ffff:127.0.0.1]:${C}/r-ipv4-mapped`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'ipv4-compatible', why: '::127.0.0.1', url: `http://[::127.0.0.1]:${C}/r-ipv4-compatible`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'zone-id', why: 'link-local with a zone id', url: `http://[fe80::1%25lo]:${C}/r-zone-id`, init: T, expect: { kind: 'error' } },
      { id: 'trailing-dot', why: 'localhost. (granted name, resolves to loopback)', url: `http://localhost.:${C}/r-trailing-dot`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'granted-localhost', why: 'a granted NAME resolving to loopback is refused', url: `http://localhost:${C}/r-granted-localhost`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'userinfo', why: 'a granted-looking name as userinfo', url: `http://api.example.com@127.0.0.1:${C}/r-userinfo`, init: T, expect: { kind: 'denied', message: /http access to|user/ } },
      { id: 'userinfo-2', why: 'userinfo with a password', url: `http://api.example.com:443@127.0.0.1:${C}/r-userinfo-2`, init: T, expect: { kind: 'denied', message: /http access to|user|password/ } },
      { id: 'backslashes', why: 'backslashes parse as slashes', url: `http:\\\\127.0.0.1:${C}\\r-backslashes`, init: T, expect: { kind: 'denied', message: /http access to|backslash|URL/i } },
      { id: 'percent', why: 'percent-encoded host', url: `http://%31%32%37.0.0.1:${C}/r-percent`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'fullwidth', why: 'full-width digits (IDNA maps them to ASCII)', url: `http://１２７.０.０.１:${C}/r-fullwidth`, init: T, expect: { kind: 'exact', message: notAsked(`http://127.0.0.1:${C}`) } },
      { id: 'ipv4-trailing-dot', why: '127.0.0.1. with a trailing dot', url: `http://127.0.0.1.:${C}/r-ipv4-trailing-dot`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'zero-padded', why: '127.000.000.001', url: `http://127.000.000.001:${C}/r-zero-padded`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'ipv6-long', why: '0:0:0:0:0:0:0:1', url: `http://[0:0:0:0:0:0:0:1]:${C}/r-ipv6-long`, init: T, expect: { kind: 'exact', message: notAsked(`http://[::1]:${C}`) } },
      { id: 'ipv6-unspecified', why: ':: reaches local listeners', url: `http://[::]:${C}/r-ipv6-unspecified`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'all-zero', why: '0.0.0.0', url: `http://0.0.0.0:${C}/r-all-zero`, init: T, expect: { kind: 'exact', message: notAsked(`http://0.0.0.0:${C}`) } },
      { id: 'backslash-at', why: 'parser differential: host before a backslash, granted origin after an @', url: `http://127.0.0.1:${C}\\@127.0.0.1:${a.port}/r-backslash-at`, init: T, expect: { kind: 'denied', message: /http access to|user/ } },
      { id: 'loopback-127-2', why: 'another loopback address', url: `http://127.0.0.2:${C}/r-loopback-127-2`, init: T, expect: { kind: 'exact', message: notAsked(`http://127.0.0.2:${C}`) } },
      { id: 'metadata-v4', why: 'cloud metadata', url: 'http://169.254.169.254/latest/meta-data/', init: T, expect: { kind: 'exact', message: notAsked('http://169.254.169.254') } },
      { id: 'metadata-v6', why: 'AWS IPv6 metadata', url: 'http://[fd00:ec2::254]/latest/meta-data/', init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'nat64', why: 'NAT64 of 127.0.0.1', url: `http://[64:ff9b::7f00:1]:${C}/r-nat64`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: '6to4', why: '6to4 of 127.0.0.1', url: `http://[2002:7f00:1::]:${C}/r-6to4`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'private-10', why: 'RFC 1918', url: 'http://10.0.0.1/', init: T, expect: { kind: 'exact', message: notAsked('http://10.0.0.1') } },
      { id: 'cgnat', why: 'CGNAT 100.64/10', url: 'http://100.64.0.1/', init: T, expect: { kind: 'exact', message: notAsked('http://100.64.0.1') } },
      // schemes that are not http(s)
      { id: 'file', why: 'file:', url: 'file:///etc/passwd', expect: { kind: 'denied', message: /file/ } },
      { id: 'ftp', why: 'ftp:', url: `ftp://127.0.0.1:${C}/r-ftp`, expect: { kind: 'denied', message: /ftp/ } },
      { id: 'data', why: 'data:', url: 'data:text/plain,canary', expect: { kind: 'denied', message: /data/ } },
      { id: 'javascript', why: 'javascript:', url: 'javascript:alert(1)', expect: { kind: 'denied', message: /javascript/ } },
      { id: 'ws', why: 'ws:', url: `ws://127.0.0.1:${C}/r-ws`, expect: { kind: 'denied', message: /ws/ } },
      { id: 'relative', why: 'not a URL at all', url: `/r-relative`, expect: { kind: 'error' } },
      // the grant's port and scheme are part of it
      { id: 'port', why: 'a port not granted on a granted host', url: `http://127.0.0.1:${C}/r-port`, init: T, expect: { kind: 'exact', message: notAsked(`http://127.0.0.1:${C}`) } },
      { id: 'https-for-http', why: 'https to an http-only grant', url: `https://127.0.0.1:${a.port}/r-https-for-http`, init: T, expect: { kind: 'exact', message: notAsked(`127.0.0.1:${a.port}`) } },
      { id: 'http-for-https', why: 'http to an https-only grant', url: `http://127.0.0.1:${e.port}/r-http-for-https`, init: T, expect: { kind: 'exact', message: notAsked(`http://127.0.0.1:${e.port}`) } },
      { id: 'wildcard-apex', why: '*.example.com does not grant the apex', url: 'https://example.com/', init: T, expect: { kind: 'exact', message: notAsked('example.com') } },
      {
        id: 'asked-not-granted',
        why: 'in the manifest, not granted by the operator',
        url: `http://127.0.0.1:${d.port}/r-asked`,
        init: T,
        expect: {
          kind: 'exact',
          message: `Requires http access to "http://127.0.0.1:${d.port}", which metadata.toml asks for but the operator has not granted`,
          hint: escapeRegExp(`--allow-http http://127.0.0.1:${d.port}`),
        },
      },
      // redirects are checked hop by hop
      { id: 'redirect-127-2', why: 'granted A redirects to 127.0.0.2 (not granted)', url: `${A}/redirect?to=${encodeURIComponent(`http://127.0.0.2:${C}/r-redirect-127-2`)}`, init: T, expect: { kind: 'exact', message: notAsked(`http://127.0.0.2:${C}`) } },
      { id: 'redirect-port', why: 'granted A redirects to another port', url: `${A}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${C}/r-redirect-port`)}`, init: T, expect: { kind: 'exact', message: notAsked(`http://127.0.0.1:${C}`) } },
      { id: 'redirect-ipv6', why: 'granted A redirects to [::1]', url: `${A}/redirect?to=${encodeURIComponent(`http://[::1]:${C}/r-redirect-ipv6`)}`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'redirect-decimal', why: 'granted A redirects to a decimal loopback', url: `${A}/redirect?to=${encodeURIComponent(`http://2130706433:${C}/r-redirect-decimal`)}`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'redirect-localhost', why: 'granted A redirects to the granted name localhost', url: `${A}/redirect?to=${encodeURIComponent(`http://localhost:${C}/r-redirect-localhost`)}`, init: T, expect: { kind: 'denied', message: ADDRESS_DENIAL } },
      { id: 'redirect-file', why: 'granted A redirects to file:', url: `${A}/redirect?to=${encodeURIComponent('file:///etc/passwd')}`, init: T, expect: { kind: 'denied', message: /file/ } },
      { id: 'redirect-307-post', why: 'a 307 would resend the POST to the canary', url: `${A}/redirect?status=307&to=${encodeURIComponent(`http://127.0.0.1:${C}/r-redirect-307-post`)}`, init: { ...T, method: 'POST', body: 'x' }, expect: { kind: 'exact', message: notAsked(`http://127.0.0.1:${C}`) } },
      { id: 'redirect-second-hop', why: 'A → B (granted) → canary', url: `${A}/redirect?to=${encodeURIComponent(`${B}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${C}/r-redirect-second-hop`)}`)}`, init: T, expect: { kind: 'exact', message: notAsked(`http://127.0.0.1:${C}`) } },
      { id: 'redirect-protocol-relative', why: 'Location: //127.0.0.1:C/', url: `${A}/redirect?to=${encodeURIComponent(`//127.0.0.1:${C}/r-redirect-protocol-relative`)}`, init: T, expect: { kind: 'exact', message: notAsked(`http://127.0.0.1:${C}`) } },
      { id: 'redirect-backslash', why: 'Location: \\\\127.0.0.1:C\\', url: `${A}/redirect?to=${encodeURIComponent(`\\\\127.0.0.1:${C}\\r-redirect-backslash`)}`, init: T, expect: { kind: 'exact', message: notAsked(`http://127.0.0.1:${C}`) } },
      { id: 'redirect-loop', why: 'a redirect loop on a granted origin ends at the hop cap', url: `${A}/loop`, init: T, expect: { kind: 'error' } },
      { id: 'redirect-manual', why: 'redirect: manual returns the 3xx, never follows', url: `${A}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${C}/r-redirect-manual`)}`, init: { ...T, redirect: 'manual' }, expect: { kind: 'ok', status: 302 } },
      { id: 'redirect-granted', why: 'A → B, both granted: followed', url: `${A}/redirect?to=${encodeURIComponent(`${B}/echo`)}`, init: T, expect: { kind: 'ok', status: 200, url: escapeRegExp(`${B}/echo`) } },
      { id: 'redirect-chain', why: 'A → B → A, all granted: followed', url: `${A}/redirect?to=${encodeURIComponent(`${B}/redirect?to=${encodeURIComponent(`${A}/echo`)}`)}`, init: T, expect: { kind: 'ok', status: 200, url: escapeRegExp(`${A}/echo`) } },
      // options that would choose the socket or the resolver are refused, not ignored
      { id: 'opt-socketPath', why: 'socketPath', url: `${A}/opt-socketPath`, init: { socketPath: '/var/run/docker.sock' }, expect: { kind: 'denied', message: /socketPath/ } },
      { id: 'opt-lookup', why: 'lookup (as data)', url: `${A}/opt-lookup`, init: { lookup: '127.0.0.1' }, expect: { kind: 'denied', message: /lookup/ } },
      { id: 'opt-lookup-fn', why: 'lookup (a function)', url: `${A}/opt-lookup-fn`, init: {}, fnOption: 'lookup', expect: { kind: 'error' } },
      { id: 'opt-agent', why: 'agent', url: `${A}/opt-agent`, init: { agent: {} }, expect: { kind: 'denied', message: /agent/ } },
      { id: 'opt-dispatcher', why: 'dispatcher', url: `${A}/opt-dispatcher`, init: { dispatcher: {} }, expect: { kind: 'denied', message: /dispatcher/ } },
      { id: 'opt-localAddress', why: 'localAddress', url: `${A}/opt-localAddress`, init: { localAddress: '127.0.0.2' }, expect: { kind: 'denied', message: /localAddress/ } },
      { id: 'opt-hostname', why: 'hostname override', url: `${A}/opt-hostname`, init: { hostname: '127.0.0.1', port: C }, expect: { kind: 'denied', message: /hostname|port/ } },
      { id: 'header-host', why: 'a Host header pointing at the canary', url: `${A}/opt-header-host`, init: { headers: { Host: `127.0.0.1:${C}` } }, expect: { kind: 'denied', message: /[Hh]ost/ } },
      { id: 'header-te', why: 'Transfer-Encoding for request smuggling', url: `${A}/opt-header-te`, init: { method: 'POST', headers: { 'Transfer-Encoding': 'chunked' }, body: '0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n' }, expect: { kind: 'denied', message: /[Tt]ransfer-[Ee]ncoding/ } },
      { id: 'method-crlf', why: 'a method with CR LF and a second request line', url: `${A}/opt-method-crlf`, init: { method: `GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1:${C}\r\n\r\nGET` }, expect: { kind: 'denied', message: /method/ } },
      { id: 'header-crlf', why: 'CR LF in a header value', url: `${A}/opt-header-crlf`, init: { headers: { 'x-a': `1\r\nHost: 127.0.0.1:${C}` } }, expect: { kind: 'error' } },
      // the positive control: proxy variables in the environment do not reroute it
      { id: 'granted', why: 'granted origin, proxy variables set', url: `${A}/echo`, init: T, expect: { kind: 'ok', status: 200, url: escapeRegExp(`${A}/echo`) } },
    ];

    ext = await createTempExtension({
      manifestExtra: `[permissions]\nhttp = ${tomlList(manifestHttp)}\n[limits]\ntimeout_ms = 50000\n`,
      source: SOURCE,
    });
    const input = { attempts: rows.map(({ id, url, init, fnOption }) => ({ id, url, init, fnOption })) };
    const proxy = `http://127.0.0.1:${C}`;
    run = await runProv(['run', ext.dir, 'list-servers', '--json', '--no-prompt', '--input', JSON.stringify(input), ...grantFlags('--allow-http', operatorHttp)], {
      timeoutMs: 58_000,
      env: { HTTP_PROXY: proxy, http_proxy: proxy, HTTPS_PROXY: proxy, https_proxy: proxy, ALL_PROXY: proxy, NODE_USE_ENV_PROXY: '1', NO_PROXY: '', no_proxy: '' },
    });
    outcomes = byId(run);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([canary, a, b, e, d].filter(Boolean).map((server) => server.close()));
    await ext?.cleanup();
  });

  it('the run itself succeeds, exit 0, one outcome per row', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(outcomes.size).toBe(rows.length);
    expect([...outcomes.keys()].sort()).toEqual([...ROW_IDS].sort());
  });

  it('nothing was smuggled to the granted servers', () => {
    expect([...a.hits, ...b.hits].filter((hit) => hit.url.includes('smuggled'))).toEqual([]);
  });

  it('the canary saw no connection at all', () => {
    expect(canary.hits.map((hit) => hit.url)).toEqual([]);
    expect(canary.connections).toBe(0);
  });

  it('the https-only, asked-for-but-not-granted servers saw no connection', () => {
    expect(e.connections).toBe(0);
    expect(d.connections).toBe(0);
  });

  const ROW_IDS = [
    'decimal', 'octal', 'hex-octet', 'hex32', 'short', 'zero', 'ipv6-loopback', 'ipv4-mapped', 'ipv4-compatible', 'zone-id',
    'trailing-dot', 'granted-localhost', 'userinfo', 'userinfo-2', 'backslashes', 'percent', 'fullwidth', 'ipv4-trailing-dot',
    'zero-padded', 'ipv6-long', 'ipv6-unspecified', 'all-zero', 'backslash-at', 'loopback-127-2', 'metadata-v4',
    'metadata-v6', 'nat64', '6to4', 'private-10', 'cgnat', 'file', 'ftp', 'data', 'javascript', 'ws', 'relative', 'port',
    'https-for-http', 'http-for-https', 'wildcard-apex', 'asked-not-granted', 'redirect-127-2', 'redirect-port', 'redirect-ipv6',
    'redirect-decimal', 'redirect-localhost', 'redirect-file', 'redirect-307-post', 'redirect-second-hop',
    'redirect-protocol-relative', 'redirect-backslash', 'redirect-loop', 'redirect-manual',
    'redirect-granted', 'redirect-chain', 'opt-socketPath', 'opt-lookup', 'opt-lookup-fn', 'opt-agent', 'opt-dispatcher',
    'opt-localAddress', 'opt-hostname', 'header-host', 'header-te', 'method-crlf', 'header-crlf', 'granted',
  ];

  it.each(ROW_IDS)('%s', (id) => {
    const row = rows.find((candidate) => candidate.id === id)!;
    const outcome = outcomes.get(id)!;
    expect(outcome, `row ${id} missing`).toBeDefined();
    const shown = `${row.why}: ${JSON.stringify(outcome)}`;
    switch (row.expect.kind) {
      case 'exact':
        expect(outcome.ok, shown).toBe(false);
        expect(outcome.code, shown).toBe('PermissionDenied');
        expect(outcome.message, shown).toBe(row.expect.message);
        if (row.expect.hint) expect(outcome.hint, shown).toMatch(row.expect.hint);
        else expect(outcome.hint, shown).toMatch(/\[permissions\]|--allow-http/);
        break;
      case 'denied':
        expect(outcome.ok, shown).toBe(false);
        expect(outcome.code, shown).toBe('PermissionDenied');
        expect(outcome.message, shown).toMatch(row.expect.message);
        break;
      case 'error':
        expect(outcome.ok, shown).toBe(false);
        // a function option fails in the guest before the host sees it; a redirect loop fails at the hop cap
        if (id === 'redirect-loop') {
          expect(outcome.code, shown).toBe('HostCallFailed');
          expect(outcome.message, shown).toMatch(/redirects/);
        } else if (outcome.code !== null) expect(outcome.code, shown).toBe('PermissionDenied');
        break;
      case 'ok':
        expect(outcome.ok, shown).toBe(true);
        expect(outcome.status, shown).toBe(row.expect.status);
        if (row.expect.url) expect(outcome.url, shown).toMatch(row.expect.url);
        break;
    }
    // nothing reached the canary for this row
    expect(canary.hits.filter((hit) => hit.url.includes(`r-${id}`))).toEqual([]);
    // a refused option never reached even the granted server
    if (id.startsWith('opt-') || id.startsWith('header-') || id.startsWith('method-')) {
      expect(a.hits.filter((hit) => hit.url.startsWith(`/opt-${id.replace(/^opt-/, '')}`))).toEqual([]);
    }
  });

  it('the granted servers saw the followed redirect chains', () => {
    expect(b.hits.some((hit) => hit.url === '/echo')).toBe(true);
    expect(a.hits.filter((hit) => hit.url === '/echo').length).toBeGreaterThanOrEqual(2);
  });
});

describe('uncaught denials end the run with exit 4 and the --json error document', () => {
  let canary: TestServer;
  let d: TestServer;
  let ext: TempExtension;

  beforeAll(async () => {
    canary = await startCanary();
    d = await startServer('127.0.0.1', canaryHandler);
    ext = await createTempExtension({
      manifestExtra: `[permissions]\nhttp = ${tomlList(['api.example.com', `http://127.0.0.1:${d.port}`])}\n`,
      source: SOURCE,
    });
  });
  afterAll(async () => {
    await canary.close();
    await d.close();
    await ext.cleanup();
  });

  const cases = [
    {
      name: 'an origin the manifest does not list',
      url: () => `http://127.0.0.1:${canary.port}/uncaught`,
      init: undefined as Record<string, unknown> | undefined,
      message: () => notAsked(`http://127.0.0.1:${canary.port}`),
      hint: () => /\[permissions\]/,
    },
    {
      name: 'an origin the manifest lists but the operator did not grant',
      url: () => `http://127.0.0.1:${d.port}/uncaught`,
      init: undefined,
      message: () => `Requires http access to "http://127.0.0.1:${d.port}", which metadata.toml asks for but the operator has not granted`,
      hint: () => escapeRegExp(`--allow-http http://127.0.0.1:${d.port}`),
    },
    {
      name: 'the decimal spelling of loopback',
      url: () => `http://2130706433:${canary.port}/uncaught`,
      init: undefined,
      message: () => /http access to/,
      hint: () => /./,
    },
    {
      name: 'an unknown option (socketPath)',
      url: () => 'https://api.example.com/',
      init: { socketPath: '/var/run/docker.sock' },
      message: () => /socketPath/,
      hint: () => /./,
    },
  ];

  it.each(cases)('$name', async ({ url, init, message, hint }) => {
    const run = await runProv(['run', ext.dir, 'get-zones', '--json', '--no-prompt', '--input', JSON.stringify({ url: url(), init }), '--allow-http', 'api.example.com']);
    expect(run.code, run.stdout + run.stderr).toBe(4);
    expect(Object.keys(run.json)).toEqual(['ok', 'error']);
    expect(run.json.ok).toBe(false);
    expect(run.json.error.code).toBe('PermissionDenied');
    const expected = message();
    if (typeof expected === 'string') expect(run.json.error.message).toBe(expected);
    else expect(run.json.error.message).toMatch(expected);
    expect(run.json.error.hint).toMatch(hint());
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(canary.connections).toBe(0);
    expect(d.connections).toBe(0);
  });

  it('without --json the denial is on stderr, exit 4', async () => {
    const run = await runProv(['run', ext.dir, 'get-zones', '--input', JSON.stringify({ url: `http://127.0.0.1:${canary.port}/human` })]);
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(`error[PermissionDenied]: `);
    expect(run.stderr).toContain(notAsked(`http://127.0.0.1:${canary.port}`));
    expect(canary.connections).toBe(0);
  });
});

describe('response size and time limits', () => {
  let a: TestServer;
  let ext: TempExtension;

  beforeAll(async () => {
    a = await startServer('127.0.0.1', echoHandler);
    ext = await createTempExtension({
      manifestExtra: `[permissions]\nhttp = ${tomlList([`http://127.0.0.1:${a.port}`])}\n[limits]\ntimeout_ms = 3000\n`,
      source: SOURCE,
    });
  });
  afterAll(async () => {
    await a.close();
    await ext.cleanup();
  });

  it('a 20 MB response is LimitExceeded for that call; the host carries on; timeoutMs ends a slow or dripping response', async () => {
    const A = `http://127.0.0.1:${a.port}`;
    const attempts: Attempt[] = [
      { id: 'huge', url: `${A}/huge` },
      { id: 'after-huge', url: `${A}/echo` },
      { id: 'slow', url: `${A}/slow`, init: { timeoutMs: 300 } },
      { id: 'after-slow', url: `${A}/echo` },
      { id: 'drip', url: `${A}/drip`, init: { timeoutMs: 500 } },
    ];
    const started = Date.now();
    const run = await runProv(['run', ext.dir, 'list-servers', '--json', '--input', JSON.stringify({ attempts }), '--allow-http', A]);
    const elapsed = Date.now() - started;
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const outcomes = byId(run);
    expect(outcomes.get('huge')).toMatchObject({ ok: false, code: 'LimitExceeded' });
    expect(outcomes.get('after-huge')).toMatchObject({ ok: true, status: 200 });
    const slow = outcomes.get('slow')!;
    expect(slow.ok).toBe(false);
    expect(['HostCallFailed', 'LimitExceeded']).toContain(slow.code);
    expect(slow.ms).toBeLessThan(1500);
    expect(outcomes.get('after-slow')).toMatchObject({ ok: true, status: 200 });
    const drip = outcomes.get('drip')!;
    expect(drip).toMatchObject({ ok: false, code: 'HostCallFailed', reason: 'ETIMEDOUT' });
    expect(drip.ms).toBeLessThan(1500);
    expect(elapsed).toBeLessThan(15_000);
  });

  it('a slow response without timeoutMs is ended at the operation deadline (timeout_ms)', async () => {
    const A = `http://127.0.0.1:${a.port}`;
    const started = Date.now();
    const run = await runProv(['run', ext.dir, 'get-zones', '--json', '--input', JSON.stringify({ url: `${A}/slow` }), '--allow-http', A]);
    const elapsed = Date.now() - started;
    // the operation's watchdog (LimitExceeded, exit 5) or the call cut at the deadline (HostCallFailed, exit 1): never later
    expect(elapsed).toBeLessThan(9000);
    if (run.code === 5) expect(run.json.error).toMatchObject({ code: 'LimitExceeded', details: { limit: 'timeout', limit_ms: 3000 } });
    else {
      expect(run.code, run.stdout + run.stderr).toBe(1);
      expect(run.json.error.code).toBe('HostCallFailed');
    }
  });

  it('timeoutMs longer than the operation has left is cut to the deadline', async () => {
    const A = `http://127.0.0.1:${a.port}`;
    const started = Date.now();
    const run = await runProv(['run', ext.dir, 'get-zones', '--json', '--input', JSON.stringify({ url: `${A}/slow`, init: { timeoutMs: 600_000 } }), '--allow-http', A]);
    expect(Date.now() - started).toBeLessThan(9000);
    expect([1, 5]).toContain(run.code);
    expect(['LimitExceeded', 'HostCallFailed', 'OperationFailed']).toContain(run.json.error.code);
  });
});

describe('check mode never sends a mutating request, however the method is spelled', () => {
  let a: TestServer;
  let ext: TempExtension;

  beforeAll(async () => {
    a = await startServer('127.0.0.1', echoHandler);
    ext = await createTempExtension({
      manifestExtra: `[permissions]\nhttp = ${tomlList([`http://127.0.0.1:${a.port}`])}\n`,
      source: SOURCE,
    });
  });
  afterAll(async () => {
    await a.close();
    await ext.cleanup();
  });

  const methods = ['POST', 'post', 'Post', 'pOsT', 'PUT', 'put', 'PATCH', 'patch', 'DELETE', 'delete', 'Delete', 'PROPFIND', 'MKCOL', 'CONNECT', 'TRACE'];

  it('plans every mutating method and sends only GET/HEAD/OPTIONS', async () => {
    const A = `http://127.0.0.1:${a.port}`;
    const attempts: Attempt[] = [
      ...methods.map((method, index) => ({ id: `m${index}-${method}`, url: `${A}/mutate-${index}`, init: { method, body: '{"x":1}' } })),
      { id: 'get', url: `${A}/read-get`, init: { method: 'get' } },
      { id: 'head', url: `${A}/read-head`, init: { method: 'HEAD' } },
      { id: 'options', url: `${A}/read-options`, init: { method: 'OPTIONS' } },
    ];
    const run = await runProv(['run', ext.dir, 'list-servers', '--json', '--check', '--input', JSON.stringify({ attempts }), '--allow-http', A]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const outcomes = byId(run);
    // nothing but the three reads reached the server
    expect(a.hits.filter((hit) => hit.url.startsWith('/mutate'))).toEqual([]);
    expect(a.hits.map((hit) => hit.url).sort()).toEqual(['/read-get', '/read-head', '/read-options']);
    for (const [index, method] of methods.entries()) {
      const outcome = outcomes.get(`m${index}-${method}`)!;
      // planned, or refused as a method prov does not send; never performed
      if (outcome.ok) expect(outcome, method).toMatchObject({ planned: true, status: 0 });
      else expect(outcome.code, method).toBe('PermissionDenied');
    }
    for (const method of ['POST', 'post', 'Post', 'PUT', 'DELETE', 'delete']) {
      expect(outcomes.get(`m${methods.indexOf(method)}-${method}`), method).toMatchObject({ ok: true, planned: true, status: 0 });
    }
    expect(outcomes.get('get')).toMatchObject({ ok: true, status: 200, planned: false });
    const planned = methods.map((_, index) => `/mutate-${index}`).filter((_, index) => outcomes.get(`m${index}-${methods[index]}`)!.ok);
    expect(run.json.plan).toHaveLength(planned.length);
    for (const entry of run.json.plan) {
      expect(entry).toMatchObject({ capability: 'http', call: 'http.fetch' });
      expect(entry.target).toMatch(new RegExp(`^[A-Za-z]+ ${A.replace(/[.]/g, '\\.')}/mutate-\\d+$`));
    }
    expect(run.json.changed).toBe(true);
  });
});

describe('secrets and redirects', () => {
  const VALUE = 's3cr"et value';
  let a: TestServer;
  let b: TestServer;
  let ext: TempExtension;

  beforeAll(async () => {
    a = await startServer('127.0.0.1', echoHandler);
    b = await startServer('127.0.0.1', echoHandler);
    ext = await createTempExtension({
      manifestExtra: `[permissions]\nhttp = ${tomlList([`http://127.0.0.1:${a.port}`, `http://127.0.0.1:${b.port}`])}\nsecrets = ["api.token"]\n`,
      source: SOURCE,
    });
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await ext.cleanup();
  });

  function seen(server: TestServer, path: string): string {
    return JSON.stringify(server.hits.filter((hit) => hit.url.startsWith(path)));
  }

  it('fills a placeholder for the granted origin and drops it when a redirect leaves that origin', async () => {
    const A = `http://127.0.0.1:${a.port}`;
    const B = `http://127.0.0.1:${b.port}`;
    const headers = { authorization: 'Bearer {{secret:api.token}}', 'x-token': '{{secret:api.token}}' };
    const attempts: Attempt[] = [
      { id: 'direct', url: `${A}/direct`, init: { headers } },
      { id: 'redirected', url: `${A}/redirect?to=${encodeURIComponent(`${B}/hop`)}`, init: { headers } },
      { id: 'redirected-307', url: `${A}/redirect?status=307&to=${encodeURIComponent(`${B}/hop307`)}`, init: { method: 'POST', headers, body: 'token={{secret:api.token}}' } },
    ];
    const run = await runProv(
      ['run', ext.dir, 'list-servers', '--json', '--input', JSON.stringify({ attempts }), '--allow-http', A, '--allow-http', B, '--allow-secret', 'api.token'],
      { env: { PROV_SECRET_API_TOKEN: VALUE } },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const outcomes = byId(run);
    expect(outcomes.get('direct')).toMatchObject({ ok: true, status: 200 });
    const direct = a.hits.find((hit) => hit.url === '/direct')!;
    expect(direct.headers['authorization']).toBe(`Bearer ${VALUE}`);
    expect(direct.headers['x-token']).toBe(VALUE);
    // the first hop (A) got the value, the other origin did not
    expect(a.hits.find((hit) => hit.url.startsWith('/redirect') && hit.method === 'GET')!.headers['x-token']).toBe(VALUE);
    for (const path of ['/hop', '/hop307']) {
      const atB = seen(b, path);
      expect(atB, path).not.toContain('s3cr');
      expect(atB, path).not.toContain(encodeURIComponent(VALUE));
      expect(atB, path).not.toContain('{{secret:');
    }
    // the redirects were followed (the secret dropped, not the request)
    expect(b.hits.some((hit) => hit.url === '/hop')).toBe(true);
    expect(outcomes.get('redirected')).toMatchObject({ ok: true, status: 200, url: `${B}/hop` });
    // nothing prov printed carries the value
    for (const text of [run.stdout, run.stderr]) {
      expect(text).not.toContain(VALUE);
      expect(text).not.toContain(JSON.stringify(VALUE).slice(1, -1));
    }
  });
});
