import { defineOperation, defineTaskserv, type ProvContext, type TaskservStatus, type UpdateCheck } from 'prov/sdk';
import { compareVersions, isKnownVersion, LATEST, VERSIONS } from './catalog.js';
import { apply, readDeployment, requireInstalled, type Deployment } from './deployment.js';
import { requireHealthy, waitHealthy, type Health } from './health.js';
import { CONFIG_DIR, CONFIG_FILE, DEFAULT_HEALTH_TIMEOUT_MS, DEFAULT_LOG_LEVEL, DEFAULT_PORT, PROGRAM_DIR, PROGRAM_FILE, UNIT, UNIT_FILE } from './layout.js';
import { removeDirIfEmpty } from './remote-files.js';
import type { ServiceConfig } from './render.js';
import { ConfigureInput, InstallInput, RestartInput, UninstallInput, UpgradeInput } from './schemas.js';
import { systemctl } from './systemd.js';
import { targetServer } from './target-server.js';

/** What install, configure, upgrade and restart return. */
interface Deployed {
  service: string;
  server: string;
  version: string;
  port: number;
  log_level: string;
  /** `planned` under --check; `unchanged` when everything was already in place. */
  status: 'running' | 'planned' | 'unchanged';
  /** The mutating calls made (or planned), in order. */
  steps: string[];
  health?: Health;
}

/**
 * Applies `desired` and, when anything was touched, waits until the service
 * answers. When nothing was, no probe runs either (curl through exec counts
 * as a change, since the host cannot know what a program did), so a repeated
 * install reports `changed: false`; run `status` for the health.
 */
async function deploy(ctx: ProvContext, current: Deployment, desired: ServiceConfig, healthTimeoutMs: number): Promise<Deployed> {
  const applied = await apply(ctx, current, desired);
  return finish(ctx, current.server, desired, applied.steps, applied.touched, healthTimeoutMs);
}

async function finish(ctx: ProvContext, server: string, config: ServiceConfig, steps: string[], touched: boolean, healthTimeoutMs: number): Promise<Deployed> {
  const base = { service: UNIT, server, version: config.version, port: config.port, log_level: config.log_level, steps };
  if (!touched) return { ...base, status: 'unchanged' };
  const health = requireHealthy(await waitHealthy(ctx, server, config.port, config.version, healthTimeoutMs), server, healthTimeoutMs);
  return { ...base, status: ctx.check ? 'planned' : 'running', health };
}

export default defineTaskserv({
  install: defineOperation({
    input: InstallInput,
    description: `Install ${UNIT}: its program, config and unit; enable and start it; wait until it answers`,
    async run(input, ctx) {
      const server = targetServer(ctx);
      const current = await readDeployment(ctx, server);
      const installed = current.config;
      const desired: ServiceConfig = {
        version: input.version ?? (installed !== null && isKnownVersion(installed.version) ? installed.version : LATEST),
        port: input.port ?? installed?.port ?? DEFAULT_PORT,
        log_level: input.log_level ?? installed?.log_level ?? DEFAULT_LOG_LEVEL,
      };
      await ctx.log.info(`installing ${UNIT} ${desired.version} on ${server}, port ${desired.port}`);
      return deploy(ctx, current, desired, input.health_timeout_ms ?? DEFAULT_HEALTH_TIMEOUT_MS);
    },
  }),

  uninstall: defineOperation({
    input: UninstallInput,
    description: `Stop and disable ${UNIT}; remove its unit file, program and config (and their directories if empty); daemon-reload`,
    async run(input, ctx) {
      const server = targetServer(ctx);
      const current = await readDeployment(ctx, server);
      const steps: string[] = [];
      if (current.unit.loaded && current.unit.active !== 'inactive') {
        await systemctl(ctx, server, 'stop');
        steps.push('stop');
      }
      if (current.unit.enabled === 'enabled') {
        await systemctl(ctx, server, 'disable');
        steps.push('disable');
      }
      const removeWithDir = async (file: string, dir: string) => {
        await ctx.servers.remove(server, file);
        steps.push(`remove ${file}`);
        // Only if empty: anything else an operator put there stays.
        if (await removeDirIfEmpty(ctx, server, dir)) steps.push(`rmdir ${dir}`);
      };
      if (current.unitText !== null) {
        await ctx.servers.remove(server, UNIT_FILE);
        steps.push(`remove ${UNIT_FILE}`);
      }
      if (current.programText !== null) await removeWithDir(PROGRAM_FILE, PROGRAM_DIR);
      if (current.configText !== null && input.keep_config !== true) await removeWithDir(CONFIG_FILE, CONFIG_DIR);
      if (current.unitText !== null) {
        await systemctl(ctx, server, 'daemon-reload', null);
        steps.push('daemon-reload');
      }
      return { service: UNIT, server, status: steps.length === 0 ? 'absent' : ctx.check ? 'planned' : 'removed', steps };
    },
  }),

  configure: defineOperation({
    input: ConfigureInput,
    description: 'Change the port or log level (rewrites the config, restarts the service, waits until it answers)',
    async run(input, ctx) {
      const server = targetServer(ctx);
      const current = await readDeployment(ctx, server);
      const installed = requireInstalled(current, 'configure');
      const desired: ServiceConfig = {
        version: isKnownVersion(installed.version) ? installed.version : LATEST,
        port: input.port ?? installed.port,
        log_level: input.log_level ?? installed.log_level,
      };
      return deploy(ctx, current, desired, input.health_timeout_ms ?? DEFAULT_HEALTH_TIMEOUT_MS);
    },
  }),

  status: async (_input, ctx): Promise<TaskservStatus> => {
    const server = targetServer(ctx);
    const current = await readDeployment(ctx, server);
    const config = current.config;
    const details = { server, installed: config !== null, enabled: current.unit.enabled || 'not-found', port: config?.port ?? null, unit_file: UNIT_FILE, config_file: CONFIG_FILE };
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
    description: 'Switch to another version (default: the latest); a lower version downgrades',
    async run(input, ctx) {
      const server = targetServer(ctx);
      const current = await readDeployment(ctx, server);
      const from = requireInstalled(current, 'upgrade');
      const desired: ServiceConfig = { ...from, version: input.version ?? LATEST };
      const deployed = await deploy(ctx, current, desired, input.health_timeout_ms ?? DEFAULT_HEALTH_TIMEOUT_MS);
      return { ...deployed, from: from.version, to: desired.version };
    },
  }),

  getCurrentVersion: async (_input, ctx) => {
    const current = await readDeployment(ctx, targetServer(ctx));
    return current.config?.version ?? null;
  },

  getAvailableVersions: async () => [...VERSIONS],

  checkUpdates: async (_input, ctx): Promise<UpdateCheck> => {
    const current = (await readDeployment(ctx, targetServer(ctx))).config?.version ?? null;
    return { current, latest: LATEST, update_available: current !== null && compareVersions(current, LATEST) < 0 };
  },
});
