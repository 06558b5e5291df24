/**
 * An emulator of the Hetzner Cloud API (docs.hetzner.cloud) for tests: a
 * real HTTP server on 127.0.0.1, stateful, answering the endpoints prov's
 * hetzner provider calls (and their neighbours) with the real API's JSON and
 * error shapes, behind Bearer-token auth. It is a fake of the API only; the
 * machines behind its servers come from a MachineBackend: none at all
 * (`noMachines()`, the default) or real systemd machines
 * (`nspawnMachines()`).
 *
 * @example
 * const emulator = await HetznerCloudEmulator.start({ machines: nspawnMachines() });
 * // settings.json: { "api_url": emulator.apiUrl }, PROV_SECRET_HETZNER_TOKEN=emulator.token
 * emulator.failNext('POST', '/v1/servers', { code: 'rate_limit_exceeded' });
 * await emulator.stop(); // powers off and deletes every machine
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from './api-error.js';
import { EmulatedCloud } from './emulated-cloud.js';
import { FaultKnobs, type Failure, type PathPattern } from './fault-knobs.js';
import type { MachineAccess, MachineBackend } from './machine-backend.js';
import { noMachines } from './no-machines.js';
import { RequestLog, type RequestListener, type RequestRecord } from './request-log.js';
import { Router } from './router.js';
import { ROUTES } from './routes/index.js';
import type { ServerJson } from './server-record.js';
import type { SshKeyJson } from './ssh-keys.js';

export interface HetznerCloudEmulatorOptions {
  /** The API token clients must send as `Authorization: Bearer …`; a random one by default (see `.token`). */
  token?: string;
  /** What stands behind the servers; `noMachines()` by default. */
  machines?: MachineBackend;
  /**
   * The message of the 401 answer. The real API does not echo the token; a
   * test that checks a client masks a secret a granted host echoes back can
   * make it (`(token) => \`unable to authenticate with ${token}\``).
   */
  unauthorizedMessage?: (token: string | undefined) => string;
}

/** The real API's budget: 3600 requests an hour per project, counted in the RateLimit-* headers. */
const RATE_LIMIT = 3600;

export class HetznerCloudEmulator {
  readonly token: string;
  readonly machines: MachineBackend;
  readonly #cloud: EmulatedCloud;
  readonly #knobs = new FaultKnobs();
  readonly #log = new RequestLog();
  readonly #router = new Router(ROUTES);
  readonly #unauthorizedMessage: (token: string | undefined) => string;
  readonly #server: http.Server;
  readonly #rateReset = Math.floor(Date.now() / 1000) + 3600;
  #stopped: Promise<void> | undefined;

  private constructor(options: HetznerCloudEmulatorOptions) {
    this.token = options.token ?? `emulator-${randomBytes(16).toString('hex')}`;
    this.machines = options.machines ?? noMachines();
    this.#cloud = new EmulatedCloud(this.machines);
    this.#unauthorizedMessage = options.unauthorizedMessage ?? (() => 'unable to authenticate');
    // A client that goes away mid-request (or stop() cutting it off) ends that exchange, nothing else.
    this.#server = http.createServer((request, response) => void this.#serve(request, response).catch(() => response.destroy()));
  }

  static async start(options: HetznerCloudEmulatorOptions = {}): Promise<HetznerCloudEmulator> {
    const emulator = new HetznerCloudEmulator(options);
    await new Promise<void>((resolve, reject) => {
      emulator.#server.once('error', reject);
      emulator.#server.listen(0, '127.0.0.1', resolve);
    });
    return emulator;
  }

  /** `http://127.0.0.1:PORT`: what a client's http grant names. */
  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** The API's base URL, for the provider's `api_url` setting. */
  get apiUrl(): string {
    return `${this.origin}/v1`;
  }

  /** Every request answered so far, oldest first. */
  get requests(): readonly RequestRecord[] {
    return this.#log.records;
  }

  onRequest(listener: RequestListener): () => void {
    return this.#log.subscribe(listener);
  }

  count(method: string, pathname: string): number {
    return this.#log.count(method, pathname);
  }

  /** The next `failure.times` (default 1) requests matching method (`*`: any) and path answer with this Hetzner error. */
  failNext(method: string, path: PathPattern, failure: Failure): void {
    this.#knobs.failNext(method, path, failure);
  }

  /** Delays every answer by `ms`, or only one route's (`{ method, path }`); 0 undoes it. */
  slow(ms: number, route?: { method?: string; path: PathPattern }): void {
    this.#knobs.slow(ms, route);
  }

  /** The servers as GET /servers shows them (all pages). */
  servers(): ServerJson[] {
    return this.#cloud.servers().map((server) => this.#cloud.json(server));
  }

  server(id: number): ServerJson | undefined {
    return this.#cloud.exists(id) ? this.#cloud.json(this.#cloud.server(id)) : undefined;
  }

  /** The root password POST /servers answered for a server created without ssh keys. */
  rootPassword(serverId: number): string | undefined {
    return this.#cloud.rootPasswords.get(serverId);
  }

  /** How to reach a server's real machine (undefined with noMachines, or when there is no such server). */
  machine(serverId: number): MachineAccess | undefined {
    return this.#cloud.exists(serverId) ? this.machines.access(serverId) : undefined;
  }

  /** Registers an ssh key without HTTP (as the operator would in the console); the API's checks apply. */
  addSshKey(name: string, publicKey: string, labels: Record<string, string> = {}): SshKeyJson {
    return this.#cloud.sshKeys.create({ name, public_key: publicKey, labels });
  }

  /** Resolves when no action runs (every boot, power change and deletion is done). */
  idle(): Promise<void> {
    return this.#cloud.actions.idle();
  }

  /** Stops answering, lets running actions end, then destroys every machine the backend made. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#server.closeAllConnections();
      await new Promise<void>((resolve) => this.#server.close(() => resolve()));
      try {
        await this.idle();
      } finally {
        await this.machines.stopAll();
      }
    })();
    return this.#stopped;
  }

  async #serve(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const raw = await readBody(request);
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://emulator');
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const delay = this.#knobs.delayFor(method, url.pathname);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));

    const injected = this.#knobs.takeFailure(method, url.pathname);
    let status: number;
    let answer: unknown;
    if (injected !== undefined) {
      [status, answer] = [injected.status, injected.toBody()];
    } else {
      try {
        ({ status, body: answer } = await this.#answer(method, url, request.headers.authorization, raw, body));
      } catch (error) {
        const apiError = error instanceof ApiError ? error : new ApiError('server_error', `emulator bug: ${(error as Error).message}`);
        [status, answer] = [apiError.status, apiError.toBody()];
      }
    }
    const remaining = injected?.code === 'rate_limit_exceeded' ? 0 : Math.max(0, RATE_LIMIT - this.#log.records.length - 1);
    response.writeHead(status, {
      ...(answer === undefined ? {} : { 'content-type': 'application/json' }),
      'ratelimit-limit': String(RATE_LIMIT),
      'ratelimit-remaining': String(remaining),
      'ratelimit-reset': String(this.#rateReset),
    });
    response.end(answer === undefined ? undefined : JSON.stringify(answer));
    this.#log.add({
      method,
      path: request.url ?? '/',
      pathname: url.pathname,
      query: url.searchParams,
      authorization: request.headers.authorization,
      body,
      status,
      response: answer,
      injected: injected !== undefined,
    });
  }

  async #answer(method: string, url: URL, authorization: string | undefined, raw: string, body: unknown): Promise<{ status: number; body?: unknown }> {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (token !== this.token) throw new ApiError('unauthorized', this.#unauthorizedMessage(token));
    if (raw !== '' && body === undefined) throw new ApiError('json_error', 'invalid JSON in the request body');
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) throw new ApiError('invalid_input', 'the request body must be a JSON object');
    const found = this.#router.match(method, url.pathname);
    if (found === undefined) throw new ApiError('not_found', `${method} ${url.pathname} not found`);
    return found.route.handle({ params: found.params, query: url.searchParams, body: (body ?? {}) as Record<string, unknown>, cloud: this.#cloud });
  }
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let raw = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (raw += chunk));
    request.on('end', () => resolve(raw));
    request.on('error', reject);
  });
}
