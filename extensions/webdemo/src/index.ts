import { defineOperation, defineTaskserv, type ProvContext, type TaskservStatus } from 'prov/sdk';
import { isKnownVersion, LATEST, VERSIONS, type Version } from './catalog.js';
import { apply, readDeployment, requireInstalled, type Applied, type Deployment } from './deployment.js';
import { requireHealthy, waitHealthy, type Health } from './health.js';
import { DEFAULT_HEALTH_TIMEOUT_MS, DEFAULT_PORT, PAGE_DIR, PAGE_FILE, UNIT, UNIT_FILE } from './layout.js';
import { run } from './remote-files.js';
import type { WebdemoConfig } from './render.js';
import { ConfigureInput, InstallInput, RestartInput, UninstallInput, UpgradeInput } from './schemas.js';
import { systemctl } from './systemd.js';
import { targetServer } from './target-server.js';
import { compareVersions } from './version-order.js';

/** What install, configure, upgrade and restart return. */
interface Deployed {
  service: string;
  server: string;
  version: string;
  port: number;
  url: string;
  /** `planned` under --check; `unchanged` when everything was already in place. */
  status: 'running' | 'planned' | 'unchanged';
  /** The mutating calls made (or planned), in order. */
  steps: string[];
  health?: Health;
}

/**
 * Applies `desired` and, when anything was touched, waits for the page. When
 * nothing was, no probe is run either: the operation stays side-effect free,
 * so a repeated install reports `changed: false` (run `status` for health).
 */
async function deploy(ctx: ProvContext, current: Deployment, desired: WebdemoConfig, healthTimeoutMs: number): Promise<Deployed> {
  const applied: Applied = await apply(ctx, current, desired);
  return finish(ctx, current.server, desired, applied.steps, applied.touched, healthTimeoutMs);
}

async function finish(ctx: ProvContext, server: string, config: { port: number; version: string }, steps: string[], touched: boolean, healthTimeoutMs: number): Promise<Deployed> {
  const base = { service: UNIT, server, version: config.version, port: config.port, url: `http://127.0.0.1:${config.port}/`, steps };
  if (!touched) return { ...base, status: 'unchanged' };
  const health = requireHealthy(await waitHealthy(ctx, server, config.port, config.version, healthTimeoutMs), server, healthTimeoutMs);
  return { ...base, status: ctx.check ? 'planned' : 'running', health };
}

function installedVersion(deployment: Deployment, operation: string): Version {
  const version = requireInstalled(deployment, operation).version;
  // A unit file edited by hand may name anything; upgrade from it to a version we know.
  return isKnownVersion(version) ? version : LATEST;
}

export default defineTaskserv({
  install: defineOperation({
    input: InstallInput,
    description: `Install ${UNIT} (python3 http.server on 127.0.0.1) and its page, enable and start it, wait until it answers`,
    async run(input, ctx) {
      const server = targetServer(ctx);
      const current = await readDeployment(ctx, server);
      const installed = current.config;
      const desired: WebdemoConfig = {
        port: input.port ?? installed?.port ?? DEFAULT_PORT,
        version: input.version ?? (installed !== null && isKnownVersion(installed.version) ? installed.version : LATEST),
      };
      await ctx.log.info(`installing webdemo ${desired.version} on ${server}, port ${desired.port}`);
      return deploy(ctx, current, desired, input.health_timeout_ms ?? DEFAULT_HEALTH_TIMEOUT_MS);
    },
  }),

  uninstall: defineOperation({
    input: UninstallInput,
    description: `Stop and disable ${UNIT}, remove its unit file, page and (if empty) ${PAGE_DIR}, daemon-reload`,
    async run(input, ctx) {
      const server = targetServer(ctx);
      const current = await readDeployment(ctx, server);
      const steps: string[] = [];
      if (current.unit.active !== 'inactive' && current.unit.loaded) {
        await systemctl(ctx, server, 'stop');
        steps.push('stop');
      }
      if (current.unit.enabled === 'enabled') {
        await systemctl(ctx, server, 'disable');
        steps.push('disable');
      }
      if (current.unitText !== null) {
        await ctx.servers.remove(server, UNIT_FILE);
        steps.push(`remove ${UNIT_FILE}`);
      }
      if (current.pageText !== null && input.keep_page !== true) {
        await ctx.servers.remove(server, PAGE_FILE);
        steps.push(`remove ${PAGE_FILE}`);
        // Only if empty: anything else an operator put there stays.
        const left = await ctx.servers.rmdir(server, PAGE_DIR).then(() => true, (error: { reason?: string }) => {
          if (error.reason === 'ENOTEMPTY') return false;
          throw error;
        });
        if (left) steps.push(`rmdir ${PAGE_DIR}`);
      }
      if (current.unitText !== null) {
        await systemctl(ctx, server, 'daemon-reload', null);
        steps.push('daemon-reload');
      }
      return { service: UNIT, server, status: steps.length === 0 ? 'absent' : ctx.check ? 'planned' : 'removed', steps };
    },
  }),

  configure: defineOperation({
    input: ConfigureInput,
    description: 'Move the service to another port (rewrites the unit, restarts it, waits until it answers)',
    async run(input, ctx) {
      const server = targetServer(ctx);
      const current = await readDeployment(ctx, server);
      const desired: WebdemoConfig = { port: input.port, version: installedVersion(current, 'configure') };
      return deploy(ctx, current, desired, input.health_timeout_ms ?? DEFAULT_HEALTH_TIMEOUT_MS);
    },
  }),

  status: async (_input, ctx): Promise<TaskservStatus> => {
    const server = targetServer(ctx);
    const current = await readDeployment(ctx, server);
    const config = current.config;
    const details = { server, installed: config !== null, enabled: current.unit.enabled || 'not-found', port: config?.port ?? null, unit_file: UNIT_FILE, page: PAGE_FILE };
    if (config === null || current.unit.active !== 'active') {
      return { service: UNIT, ...(config === null ? {} : { version: config.version }), state: current.unit.loaded ? current.unit.active : 'inactive', healthy: false, details };
    }
    // One probe, no waiting: status reports, it does not wait for anything.
    const health = await waitHealthy(ctx, server, config.port, config.version, 0);
    return {
      service: UNIT,
      version: config.version,
      state: current.unit.active,
      ...(health.healthy === null ? {} : { healthy: health.healthy }),
      details: { ...details, url: health.url, ...(health.error === undefined ? {} : { health_error: health.error }) },
    };
  },

  restart: defineOperation({
    input: RestartInput,
    description: `Restart ${UNIT} and wait until it answers`,
    async run(input, ctx) {
      const server = targetServer(ctx);
      const config = requireInstalled(await readDeployment(ctx, server), 'restart');
      await systemctl(ctx, server, 'restart');
      return finish(ctx, server, config, ['restart'], true, input.health_timeout_ms ?? DEFAULT_HEALTH_TIMEOUT_MS);
    },
  }),

  upgrade: defineOperation({
    input: UpgradeInput,
    description: 'Switch to another catalogue version (default: the latest); downgrades are allowed',
    async run(input, ctx) {
      const server = targetServer(ctx);
      const current = await readDeployment(ctx, server);
      const from = requireInstalled(current, 'upgrade');
      const desired: WebdemoConfig = { port: from.port, version: input.version ?? LATEST };
      const deployed = await deploy(ctx, current, desired, input.health_timeout_ms ?? DEFAULT_HEALTH_TIMEOUT_MS);
      return { ...deployed, from: from.version, to: desired.version };
    },
  }),

  getCurrentVersion: async (_input, ctx) => {
    const current = await readDeployment(ctx, targetServer(ctx));
    return current.config?.version ?? null;
  },

  getAvailableVersions: async () => [...VERSIONS],

  checkUpdates: async (_input, ctx) => {
    const current = (await readDeployment(ctx, targetServer(ctx))).config?.version ?? null;
    return { current, latest: LATEST, update_available: current !== null && compareVersions(current, LATEST) < 0 };
  },
});
