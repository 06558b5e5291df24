import type { ProvContext } from 'prov/sdk';
import { CURL } from './layout.js';
import { pageShows } from './render.js';

export interface Health {
  /** null: not known (under --check the probe is planned, not run). */
  healthy: boolean | null;
  url: string;
  attempts: number;
  /** Why the last probe failed. */
  error?: string;
}

const PROBE_INTERVAL_MS = 250;

/** One GET of the page with curl on the server itself (the service listens on its loopback only). */
async function probe(ctx: ProvContext, server: string, url: string, version: string): Promise<{ ok: boolean | null; error?: string }> {
  const result = await ctx.servers.exec(server, [CURL, '-fsS', '--max-time', '2', url], { timeout: 5_000 });
  if (result.planned) return { ok: null };
  if (result.code !== 0) return { ok: false, error: result.stderr.trim() || `curl exited with ${result.code}` };
  if (!pageShows(result.stdout, version)) return { ok: false, error: `${url} answered, but not with webdemo ${version}'s page` };
  return { ok: true };
}

/**
 * Probes until the page for `version` answers or `timeoutMs` has passed
 * (never past the operation's deadline). `timeoutMs` 0 probes once.
 */
export async function waitHealthy(ctx: ProvContext, server: string, port: number, version: string, timeoutMs: number): Promise<Health> {
  const url = `http://127.0.0.1:${port}/`;
  const until = Math.min(Date.now() + timeoutMs, ctx.deadline - 2_000);
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const { ok, error } = await probe(ctx, server, url, version);
    if (ok !== false) return { healthy: ok, url, attempts };
    if (Date.now() + PROBE_INTERVAL_MS > until) return { healthy: false, url, attempts, ...(error === undefined ? {} : { error }) };
    await ctx.sleep(PROBE_INTERVAL_MS);
  }
}

/** Fails the operation when the service did not come up healthy. */
export function requireHealthy(health: Health, server: string, timeoutMs: number): Health {
  if (health.healthy === false) {
    throw new Error(`webdemo on ${server} failed its health check: ${health.url} did not answer with the page within ${timeoutMs} ms (${health.attempts} attempts; last: ${health.error ?? 'no answer'}). See "journalctl -u webdemo" on the server.`);
  }
  return health;
}
