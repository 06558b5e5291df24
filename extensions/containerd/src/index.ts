import { defineOperation, defineTaskserv, type ProvContext, type TaskservStatus } from 'prov/sdk';
import { DEFAULT_MIRROR, LATEST, VERSIONS } from './catalog.js';
import { apply, readDeployment, requireInstalled, type Deployment, type Desired } from './deployment.js';
import { requireHealthy, waitHealthy, type Health } from './health.js';
import { BIN_DIR, CONFIG_DIR, CONFIG_FILE, DEFAULT_HEALTH_TIMEOUT_MS, RECEIPT_FILE, SOCKET, STATE_DIR, UNIT, UNIT_FILE } from './layout.js';
import { removeEmptyDir } from './remote-files.js';
import { ConfigureInput, InstallInput, RestartInput, UninstallInput, UpgradeInput } from './schemas.js';
import { systemctl } from './systemd.js';
import { targetServer } from './target-server.js';
import { compareVersions } from './version-order.js';

/** What install, configure, upgrade and restart return. */
interface Deployed {
  service: string;
  server: string;
  version: string;
  socket: string;
  /** `planned` under --check; `unchanged` when everything was already in place. */
  status: 'running' | 'planned' | 'unchanged';
  /** What was done (or planned), in order. */
  steps: string[];
  health?: Health;
}

/**
 * Applies `desired` and, when anything was touched, waits for the daemon.
 * When nothing was, no probe runs either (a program run counts as a change),
 * so a repeated install reports `changed: false`; run `status` for health.
 */
async function deploy(ctx: ProvContext, current: Deployment, desired: Desired, healthTimeoutMs: number): Promise<Deployed> {
  const applied = await apply(ctx, current, desired);
  return finish(ctx, current.server, desired.version, applied.steps, applied.touched, healthTimeoutMs);
}

async function finish(ctx: ProvContext, server: string, version: string, steps: string[], touched: boolean, healthTimeoutMs: number): Promise<Deployed> {
  const base = { service: UNIT, server, version, socket: SOCKET, steps };
  if (!touched) return { ...base, status: 'unchanged' };
  const health = requireHealthy(await waitHealthy(ctx, server, version, healthTimeoutMs), server, healthTimeoutMs);
  return { ...base, status: ctx.check ? 'planned' : 'running', health };
}

export default defineTaskserv({
  install: defineOperation({
    input: InstallInput,
    description: `Download a containerd release (sha256-checked), unpack it into ${BIN_DIR}, write ${CONFIG_FILE} and ${UNIT}, enable and start it, wait for "ctr version"`,
    async run(input, ctx) {
      const server = targetServer(ctx);
      const current = await readDeployment(ctx, server);
      const installed = current.receipt;
      const desired: Desired = {
        version: input.version ?? installed?.version ?? LATEST,
        arch: input.arch ?? installed?.arch ?? 'amd64',
        mirror: input.mirror ?? installed?.mirror ?? DEFAULT_MIRROR,
        ...(input.sha256 === undefined ? {} : { sha256: input.sha256 }),
        settings: { registry_mirrors: input.registry_mirrors ?? installed?.settings.registry_mirrors ?? {} },
      };
      await ctx.log.info(`installing containerd ${desired.version} (${desired.arch}) on ${server} from ${desired.mirror}`);
      return deploy(ctx, current, desired, input.health_timeout_ms ?? DEFAULT_HEALTH_TIMEOUT_MS);
    },
  }),

  uninstall: defineOperation({
    input: UninstallInput,
    description: `Stop and disable ${UNIT}; remove its unit file, the binaries it installed, ${CONFIG_FILE} and its receipt; daemon-reload`,
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
      if (current.unitText !== null) {
        await ctx.servers.remove(server, UNIT_FILE);
        steps.push(`remove ${UNIT_FILE}`);
        await systemctl(ctx, server, 'daemon-reload', null);
        steps.push('daemon-reload');
      }
      // Only what the receipt says this task service unpacked: a containerd someone else put there stays.
      for (const binary of current.receipt?.binaries ?? []) {
        await ctx.servers.remove(server, `${BIN_DIR}/${binary}`);
        steps.push(`remove ${BIN_DIR}/${binary}`);
      }
      if (current.configText !== null && input.keep_config !== true) {
        await ctx.servers.remove(server, CONFIG_FILE);
        steps.push(`remove ${CONFIG_FILE}`);
        if (await removeEmptyDir(ctx, server, CONFIG_DIR)) steps.push(`rmdir ${CONFIG_DIR}`);
      }
      if (current.receiptText !== null) {
        await ctx.servers.remove(server, RECEIPT_FILE);
        steps.push(`remove ${RECEIPT_FILE}`);
        if (await removeEmptyDir(ctx, server, STATE_DIR)) steps.push(`rmdir ${STATE_DIR}`);
      }
      return { service: UNIT, server, status: steps.length === 0 ? 'absent' : ctx.check ? 'planned' : 'removed', steps };
    },
  }),

  configure: defineOperation({
    input: ConfigureInput,
    description: `Change the settings in ${CONFIG_FILE} (registry mirrors); restarts containerd if the file changed`,
    async run(input, ctx) {
      const server = targetServer(ctx);
      const current = await readDeployment(ctx, server);
      const installed = requireInstalled(current, 'configure');
      const desired: Desired = {
        version: installed.version,
        arch: installed.arch,
        mirror: installed.mirror,
        settings: { registry_mirrors: input.registry_mirrors ?? installed.settings.registry_mirrors },
      };
      return deploy(ctx, current, desired, input.health_timeout_ms ?? DEFAULT_HEALTH_TIMEOUT_MS);
    },
  }),

  status: async (_input, ctx): Promise<TaskservStatus> => {
    const server = targetServer(ctx);
    const current = await readDeployment(ctx, server);
    const receipt = current.receipt;
    const details = {
      server,
      installed: receipt !== null,
      enabled: current.unit.enabled || 'not-found',
      binaries: receipt?.binaries.map((binary) => `${BIN_DIR}/${binary}`) ?? [],
      config_file: current.configText === null ? null : CONFIG_FILE,
      registry_mirrors: receipt?.settings.registry_mirrors ?? {},
      socket: SOCKET,
      receipt: RECEIPT_FILE,
    };
    const state = current.unit.loaded ? current.unit.active : 'inactive';
    if (receipt === null || current.unit.active !== 'active') {
      return { service: UNIT, ...(receipt === null ? {} : { version: receipt.version }), state, healthy: false, details };
    }
    // One probe, no waiting: status reports, it does not wait for anything.
    const health = await waitHealthy(ctx, server, receipt.version, 0);
    return {
      service: UNIT,
      version: receipt.version,
      state,
      ...(health.healthy === null ? {} : { healthy: health.healthy }),
      details: { ...details, ...(health.server_version === undefined ? {} : { server_version: health.server_version }), ...(health.error === undefined ? {} : { health_error: health.error }) },
    };
  },

  restart: defineOperation({
    input: RestartInput,
    description: `Restart ${UNIT} and wait for "ctr version"`,
    async run(input, ctx) {
      const server = targetServer(ctx);
      const installed = requireInstalled(await readDeployment(ctx, server), 'restart');
      await systemctl(ctx, server, 'restart');
      return finish(ctx, server, installed.version, ['restart'], true, input.health_timeout_ms ?? DEFAULT_HEALTH_TIMEOUT_MS);
    },
  }),

  upgrade: defineOperation({
    input: UpgradeInput,
    description: 'Install another release (default: the latest known) in place of the installed one, with the settings given (default: the installed ones); downgrades are allowed',
    async run(input, ctx) {
      const server = targetServer(ctx);
      const current = await readDeployment(ctx, server);
      const from = requireInstalled(current, 'upgrade');
      const desired: Desired = {
        version: input.version ?? LATEST,
        arch: input.arch ?? from.arch,
        mirror: input.mirror ?? from.mirror,
        ...(input.sha256 === undefined ? {} : { sha256: input.sha256 }),
        settings: { registry_mirrors: input.registry_mirrors ?? from.settings.registry_mirrors },
      };
      const deployed = await deploy(ctx, current, desired, input.health_timeout_ms ?? DEFAULT_HEALTH_TIMEOUT_MS);
      return { ...deployed, from: from.version, to: desired.version };
    },
  }),

  getCurrentVersion: async (_input, ctx) => (await readDeployment(ctx, targetServer(ctx))).receipt?.version ?? null,

  getAvailableVersions: async () => [...VERSIONS],

  checkUpdates: async (_input, ctx) => {
    const current = (await readDeployment(ctx, targetServer(ctx))).receipt?.version ?? null;
    return { current, latest: LATEST, update_available: current !== null && compareVersions(current, LATEST) < 0 };
  },
});
