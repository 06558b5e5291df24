/**
 * Routes: a method, a path pattern with `{name}` parameters (digits for
 * `{id}`-like ones, letters and `_` for `{action}`), and a handler that
 * returns the status and the JSON body, or throws an ApiError.
 */
import type { EmulatedCloud } from './emulated-cloud.js';

export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body: an object, or {} when the request had none. */
  body: Record<string, unknown>;
  cloud: EmulatedCloud;
}

export interface Answer {
  status: number;
  /** Omitted for 204. */
  body?: unknown;
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  pattern: string;
  handle(context: RouteContext): Answer | Promise<Answer>;
}

/** `/v1/servers/{id}/actions/{action}` → a regex; parameters named `action` take a word, the rest digits. */
export function compilePattern(pattern: string): RegExp {
  const source = pattern.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_match, name: string) => (name === 'action' ? `(?<${name}>[a-z_]+)` : `(?<${name}>\\d+)`));
  return new RegExp(`^${source}$`);
}

export class Router {
  readonly #routes: { route: Route; regex: RegExp }[];

  constructor(routes: Route[]) {
    this.#routes = routes.map((route) => ({ route, regex: compilePattern(route.pattern) }));
  }

  match(method: string, pathname: string): { route: Route; params: Record<string, string> } | undefined {
    for (const { route, regex } of this.#routes) {
      const found = route.method === method ? regex.exec(pathname) : null;
      if (found !== null) return { route, params: { ...found.groups } };
    }
    return undefined;
  }
}
