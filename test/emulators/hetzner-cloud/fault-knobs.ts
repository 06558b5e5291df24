/**
 * The knobs tests turn: make the next matching requests fail with a given
 * Hetzner error (a 429, a 503, a `locked`…), and make answers slow, all of
 * them or per route. A request matches by method (`*` for any) and path:
 * a pattern like `/v1/servers/{id}/actions/*` (`{…}` is one segment, `*`
 * anything) or a RegExp, against the path without the query.
 */
import { ApiError, ERROR_STATUS, type ErrorCode } from './api-error.js';

export type PathPattern = string | RegExp;

export interface Failure {
  /** A Hetzner error code; the status defaults to the one the API uses for it. */
  code: ErrorCode | (string & {});
  status?: number;
  message?: string;
  details?: Record<string, unknown>;
  /** How many matching requests fail (default 1). */
  times?: number;
}

interface FailRule {
  method: string;
  path: RegExp;
  failure: Failure;
  left: number;
}

interface SlowRule {
  method: string;
  path: RegExp;
  ms: number;
}

function toRegExp(pattern: PathPattern): RegExp {
  if (pattern instanceof RegExp) return pattern;
  const source = pattern
    .split(/(\{\w+\}|\*)/)
    .map((part) => (part === '*' ? '.*' : /^\{\w+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

const DEFAULT_MESSAGES: Readonly<Record<string, string>> = {
  rate_limit_exceeded: 'limit of 3600 requests per hour reached',
  server_error: 'an internal error occurred',
  service_error: 'a service error occurred',
  locked: 'The item you are trying to access is locked (there is already an Action running)',
  unavailable: 'the service is currently unavailable',
  maintenance: 'cannot perform operation due to maintenance',
  timeout: 'the request could not be answered in time, please retry',
};

export class FaultKnobs {
  readonly #fails: FailRule[] = [];
  readonly #slows: SlowRule[] = [];
  #slowAll = 0;

  failNext(method: string, path: PathPattern, failure: Failure): void {
    this.#fails.push({ method: method.toUpperCase(), path: toRegExp(path), failure, left: failure.times ?? 1 });
  }

  /** Delays every answer by `ms`, or only those of one route; `slow(0)` (with the same route) undoes it. */
  slow(ms: number, route?: { method?: string; path: PathPattern }): void {
    if (route === undefined) {
      this.#slowAll = ms;
      return;
    }
    const method = (route.method ?? '*').toUpperCase();
    const path = toRegExp(route.path);
    const index = this.#slows.findIndex((rule) => rule.method === method && rule.path.source === path.source);
    if (index !== -1) this.#slows.splice(index, 1);
    if (ms > 0) this.#slows.push({ method, path, ms });
  }

  /** The delay for this request: the last route rule that matches, else the global one. */
  delayFor(method: string, pathname: string): number {
    const rule = this.#slows.findLast((candidate) => matches(candidate, method, pathname));
    return rule?.ms ?? this.#slowAll;
  }

  /** The failure this request is to get, if a rule matches (using up one of its times). */
  takeFailure(method: string, pathname: string): ApiError | undefined {
    const rule = this.#fails.find((candidate) => candidate.left > 0 && matches(candidate, method, pathname));
    if (rule === undefined) return undefined;
    rule.left--;
    const { code, status, message, details } = rule.failure;
    return new ApiError(code, message ?? DEFAULT_MESSAGES[code] ?? `injected ${code}`, details ?? {}, status ?? ERROR_STATUS[code as ErrorCode] ?? 500);
  }
}

function matches(rule: { method: string; path: RegExp }, method: string, pathname: string): boolean {
  return (rule.method === '*' || rule.method === method) && rule.path.test(pathname);
}
