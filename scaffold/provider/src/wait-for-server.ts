import type { ProvContext, ServerInfo } from 'prov/sdk';
import { ApiError, getJson } from './api-client.js';
import { toServerInfo, type ApiServer } from './server-info.js';
import type { ProviderSettings } from './settings.js';

/** Leaves this much of the operation's time for the answer after the last poll. */
const DEADLINE_MARGIN_MS = 2_000;

/** Polls until the server has status `wanted` (`"wait": true` on create, start, stop and reboot). */
export async function waitForStatus(ctx: ProvContext, settings: ProviderSettings, id: string, wanted: ServerInfo['status']): Promise<{ server: ServerInfo; polls: number }> {
  const { server, polls } = await poll(ctx, settings, id, wanted, (current) => current?.status === wanted);
  return { server: server!, polls };
}

/** Polls until the API answers 404 for the server (`"wait": true` on delete). */
export async function waitUntilDeleted(ctx: ProvContext, settings: ProviderSettings, id: string): Promise<{ polls: number }> {
  const { polls } = await poll(ctx, settings, id, 'deleted', (current) => current === null);
  return { polls };
}

/**
 * `GET /servers/{id}` with `ctx.sleep` between polls until `done`. Bounded
 * by settings.json's `wait.timeout_ms` and by the operation's own deadline,
 * so a server that never gets there ends in an error that says so rather
 * than in the host's LimitExceeded. A server in status `error`, or one that
 * vanishes while it should come up, fails at once.
 */
async function poll(ctx: ProvContext, settings: ProviderSettings, id: string, wanted: string, done: (server: ServerInfo | null) => boolean) {
  const until = Math.min(Date.now() + settings.wait.timeout_ms, ctx.deadline - DEADLINE_MARGIN_MS);
  for (let polls = 1; ; polls += 1) {
    const server = await currentServer(ctx, settings, id);
    if (done(server)) return { server, polls };
    if (server === null) throw new Error(`Server ${id} disappeared while waiting for it to be ${wanted}`);
    if (server.status === 'error') throw new Error(`Server ${id} (${server.hostname}) went into status "error" while waiting for it to be ${wanted}`);
    if (Date.now() + settings.wait.interval_ms > until) {
      throw new Error(`Server ${id} is still "${server.status}" after ${polls} poll(s): it did not become ${wanted} within wait.timeout_ms (${settings.wait.timeout_ms} ms) or the operation's time limit`);
    }
    await ctx.log.debug(`server ${id} is ${server.status}; polling again in ${settings.wait.interval_ms} ms`);
    await ctx.sleep(settings.wait.interval_ms);
  }
}

/** The server, or null once the API answers 404 for it. */
async function currentServer(ctx: ProvContext, settings: ProviderSettings, id: string): Promise<ServerInfo | null> {
  try {
    const { server } = await getJson<{ server: ApiServer }>(ctx, settings, `/servers/${id}`);
    return toServerInfo(server);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}
