import type { ProvContext } from 'prov/sdk';
import { CURL } from './layout.js';
import type { Settings } from './receipt.js';

export interface Health {
  /** null: not known (under --check the probe is planned, not run). */
  healthy: boolean | null;
  url: string;
  attempts: number;
  /** Why the last probe failed. */
  error?: string;
}

const PROBE_INTERVAL_MS = 250;

/** Where the registry answers on the server itself: loopback when it listens on every interface. */
export function healthUrl(settings: Settings): string {
  const host = settings.address === '0.0.0.0' ? '127.0.0.1' : settings.address === '::' ? '[::1]' : settings.address.includes(':') ? `[${settings.address}]` : settings.address;
  return `http://${host}:${settings.port}/v2/`;
}

/** One GET of `/v2/` with curl on the server: the registry API answers 200 when it is up (and no auth is configured). */
async function probe(ctx: ProvContext, server: string, url: string): Promise<{ ok: boolean | null; error?: string }> {
  const result = await ctx.servers.exec(server, [CURL, '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', url], { timeout: 5_000 });
  if (result.planned) return { ok: null };
  if (result.code !== 0) return { ok: false, error: result.stderr.trim() || `curl exited with ${result.code}` };
  if (result.stdout.trim() !== '200') return { ok: false, error: `${url} answered ${result.stdout.trim()}, not 200` };
  return { ok: true };
}

/** Probes until `/v2/` answers 200 or `timeoutMs` has passed (never past the deadline). `timeoutMs` 0 probes once. */
export async function waitHealthy(ctx: ProvContext, server: string, settings: Settings, timeoutMs: number): Promise<Health> {
  const url = healthUrl(settings);
  const until = Math.min(Date.now() + timeoutMs, ctx.deadline - 2_000);
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const { ok, error } = await probe(ctx, server, url);
    if (ok !== false) return { healthy: ok, url, attempts };
    if (Date.now() + PROBE_INTERVAL_MS > until) return { healthy: false, url, attempts, ...(error === undefined ? {} : { error }) };
    await ctx.sleep(PROBE_INTERVAL_MS);
  }
}

/** Fails the operation when the registry did not come up healthy. */
export function requireHealthy(health: Health, server: string, timeoutMs: number): Health {
  if (health.healthy === false) {
    throw new Error(`registry on ${server} failed its health check: ${health.url} did not answer 200 within ${timeoutMs} ms (${health.attempts} attempts; last: ${health.error ?? 'no answer'}). See "journalctl -u registry" on the server.`);
  }
  return health;
}
