import type { ProvContext } from 'prov/sdk';
import { CURL, UNIT } from './layout.js';

export interface Health {
  /** null: not known (under --check the probe is planned, not run). */
  healthy: boolean | null;
  url: string;
  attempts: number;
  /** Why the last probe failed. */
  error?: string;
}

const PROBE_INTERVAL_MS = 250;
/** Leaves this much of the operation's time for reporting after the last probe. */
const DEADLINE_MARGIN_MS = 2_000;

/** One GET of /health with curl on the server itself: it must answer with this version. */
async function probe(ctx: ProvContext, server: string, url: string, version: string): Promise<{ ok: boolean | null; error?: string }> {
  const result = await ctx.servers.exec(server, [CURL, '-fsS', '--max-time', '2', url], { timeout: 5_000 });
  if (result.planned) return { ok: null };
  if (result.code !== 0) return { ok: false, error: result.stderr.trim() || `curl exited with ${result.code}` };
  let body: { status?: unknown; version?: unknown };
  try {
    body = JSON.parse(result.stdout) as typeof body;
  } catch {
    return { ok: false, error: `${url} answered with something that is not JSON` };
  }
  if (body.status !== 'ok') return { ok: false, error: `${url} answered status ${JSON.stringify(body.status)}` };
  if (body.version !== version) return { ok: false, error: `${url} answered, but from version ${JSON.stringify(body.version)}, not ${version}` };
  return { ok: true };
}

/**
 * Probes until the service answers healthy or `timeoutMs` has passed (never
 * past the operation's deadline), pausing with ctx.sleep. `timeoutMs` 0
 * probes once.
 */
export async function waitHealthy(ctx: ProvContext, server: string, port: number, version: string, timeoutMs: number): Promise<Health> {
  const url = `http://127.0.0.1:${port}/health`;
  const until = Math.min(Date.now() + timeoutMs, ctx.deadline - DEADLINE_MARGIN_MS);
  for (let attempts = 1; ; attempts += 1) {
    const { ok, error } = await probe(ctx, server, url, version);
    if (ok !== false) return { healthy: ok, url, attempts };
    if (Date.now() + PROBE_INTERVAL_MS > until) return { healthy: false, url, attempts, ...(error === undefined ? {} : { error }) };
    await ctx.sleep(PROBE_INTERVAL_MS);
  }
}

/** Fails the operation when the service did not come up healthy. */
export function requireHealthy(health: Health, server: string, timeoutMs: number): Health {
  if (health.healthy === false) {
    throw new Error(`${UNIT} on ${server} failed its health check: ${health.url} did not answer healthy within ${timeoutMs} ms (${health.attempts} attempts; last: ${health.error ?? 'no answer'}). See "journalctl -u ${UNIT}" on the server.`);
  }
  return health;
}
