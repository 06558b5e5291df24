import type { ProvContext } from 'prov/sdk';
import { CONFIG_DIR, CONFIG_FILE, PROGRAM_DIR, PROGRAM_FILE, SERVICE, UNIT_FILE } from './layout.js';
import { readRemote } from './remote-files.js';
import { parseConfig, renderFiles, type ServiceConfig } from './render.js';
import { systemctl, unitState, type UnitState } from './systemd.js';

/** What is on the server now. */
export interface Deployment {
  server: string;
  unit: UnitState;
  unitText: string | null;
  configText: string | null;
  programText: string | null;
  /** The settings the installed config file names; null when the service is not installed. */
  config: ServiceConfig | null;
}

export async function readDeployment(ctx: ProvContext, server: string): Promise<Deployment> {
  const [unit, unitText, configText, programText] = await Promise.all([
    unitState(ctx, server),
    readRemote(ctx, server, UNIT_FILE),
    readRemote(ctx, server, CONFIG_FILE),
    readRemote(ctx, server, PROGRAM_FILE),
  ]);
  return { server, unit, unitText, configText, programText, config: configText === null ? null : parseConfig(configText) };
}

export function requireInstalled(deployment: Deployment, operation: string): ServiceConfig {
  if (deployment.config === null) {
    const why = deployment.configText === null ? `${CONFIG_FILE} does not exist` : `${CONFIG_FILE} was not written by this task service`;
    throw new Error(`${SERVICE} is not installed on ${deployment.server} (${why}); run install before ${operation}`);
  }
  return deployment.config;
}

/** What apply() did, as the extension sees it; the host's `changed` is the authority. */
export interface Applied {
  /** The mutating calls made (or planned under --check), in order. */
  steps: string[];
  /** True when a file had to be written or the unit (re)started. */
  touched: boolean;
}

/**
 * Brings the server to `desired`: writes only the files whose text differs
 * (so daemon-reload happens only when the unit changed, and a restart only
 * when something the running service reads changed), then enables and
 * starts the unit. Nothing differs → no mutating call at all, so a repeated
 * install reports `changed: false`.
 */
export async function apply(ctx: ProvContext, current: Deployment, desired: ServiceConfig): Promise<Applied> {
  const { server } = current;
  const steps: string[] = [];
  const files = renderFiles(desired);
  const write = async (dir: string, file: string, now: string | null, text: string) => {
    if (now === text) return false;
    if (now === null) {
      await ctx.servers.mkdir(server, dir, { mode: 0o755 });
      steps.push(`mkdir ${dir}`);
    }
    await ctx.servers.upload(server, file, text, { mode: 0o644 });
    steps.push(`upload ${file}`);
    return true;
  };
  // The program and its config first: the service reads them the moment the unit starts.
  const programChanged = await write(PROGRAM_DIR, PROGRAM_FILE, current.programText, files.program);
  const configChanged = await write(CONFIG_DIR, CONFIG_FILE, current.configText, files.config);
  const unitChanged = current.unitText !== files.unit;
  if (unitChanged) {
    await ctx.servers.upload(server, UNIT_FILE, files.unit, { mode: 0o644 });
    steps.push(`upload ${UNIT_FILE}`);
    await systemctl(ctx, server, 'daemon-reload', null);
    steps.push('daemon-reload');
  }
  if (current.unit.enabled !== 'enabled' || unitChanged) {
    await systemctl(ctx, server, 'enable');
    steps.push('enable');
  }
  const running = current.unit.active === 'active';
  if (running && (unitChanged || configChanged || programChanged)) {
    await systemctl(ctx, server, 'restart');
    steps.push('restart');
  } else if (!running) {
    await systemctl(ctx, server, 'start');
    steps.push('start');
  }
  return { steps, touched: steps.length > 0 };
}
