import type { ProvContext } from 'prov/sdk';
import { CTR, SOCKET } from './layout.js';

export interface Health {
  /** null: not known (under --check the probe is planned, not run). */
  healthy: boolean | null;
  /** The version the daemon reports, when it answered. */
  server_version?: string;
  attempts: number;
  /** Why the last probe failed. */
  error?: string;
}

const PROBE_INTERVAL_MS = 250;

/** The daemon's version from `ctr version` (`Server:` … `Version: 1.7.24`). */
function serverVersion(output: string): string | undefined {
  return /Server:\s*\n\s*Version:\s*(\S+)/.exec(output)?.[1];
}

/**
 * One `ctr version` against the socket: the daemon is up only when it
 * answers over its API, and it is the right one only when it reports the
 * version just installed (after an upgrade the old one may still run).
 */
async function probe(ctx: ProvContext, server: string, version: string): Promise<{ ok: boolean | null; serverVersion?: string; error?: string }> {
  const result = await ctx.servers.exec(server, [CTR, '--address', SOCKET, '--timeout', '2s', 'version'], { timeout: 5_000 });
  if (result.planned) return { ok: null };
  if (result.code !== 0) return { ok: false, error: result.stderr.trim() || `ctr exited with ${result.code}` };
  const reported = serverVersion(result.stdout);
  if (reported === undefined) return { ok: false, error: `ctr version printed no server version: ${result.stdout.trim()}` };
  // A distribution's build reports more (1.7.24~ds1): the release is its prefix.
  if (reported !== version && !reported.startsWith(`${version}~`) && !reported.startsWith(`${version}+`) && !reported.startsWith(`${version}-`)) {
    return { ok: false, serverVersion: reported, error: `the daemon reports version ${reported}, not ${version}` };
  }
  return { ok: true, serverVersion: reported };
}

/** Probes until containerd `version` answers or `timeoutMs` has passed (never past the deadline). `timeoutMs` 0 probes once. */
export async function waitHealthy(ctx: ProvContext, server: string, version: string, timeoutMs: number): Promise<Health> {
  const until = Math.min(Date.now() + timeoutMs, ctx.deadline - 2_000);
  let attempts = 0;
  for (;;) {
    attempts += 1;
    const { ok, serverVersion: reported, error } = await probe(ctx, server, version);
    const seen = reported === undefined ? {} : { server_version: reported };
    if (ok !== false) return { healthy: ok, attempts, ...seen };
    if (Date.now() + PROBE_INTERVAL_MS > until) return { healthy: false, attempts, ...seen, ...(error === undefined ? {} : { error }) };
    await ctx.sleep(PROBE_INTERVAL_MS);
  }
}

/** Fails the operation when containerd did not come up healthy. */
export function requireHealthy(health: Health, server: string, timeoutMs: number): Health {
  if (health.healthy === false) {
    throw new Error(`containerd on ${server} failed its health check: "ctr version" did not get an answer from ${SOCKET} within ${timeoutMs} ms (${health.attempts} attempts; last: ${health.error ?? 'no answer'}). See "journalctl -u containerd" on the server.`);
  }
  return health;
}
