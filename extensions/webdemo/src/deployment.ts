import type { ProvContext } from 'prov/sdk';
import { PAGE_DIR, PAGE_FILE, UNIT_FILE } from './layout.js';
import { readRemote, run } from './remote-files.js';
import { parseUnit, renderPage, renderUnit, type WebdemoConfig } from './render.js';
import { systemctl, unitState, type UnitState } from './systemd.js';

/** What is on the server now. */
export interface Deployment {
  server: string;
  unit: UnitState;
  unitText: string | null;
  pageText: string | null;
  /** The port and version the installed unit file names; null when webdemo is not installed. */
  config: { port: number; version: string } | null;
}

export async function readDeployment(ctx: ProvContext, server: string): Promise<Deployment> {
  const [unit, unitText, pageText] = await Promise.all([
    unitState(ctx, server),
    readRemote(ctx, server, UNIT_FILE),
    readRemote(ctx, server, PAGE_FILE),
  ]);
  return { server, unit, unitText, pageText, config: unitText === null ? null : parseUnit(unitText) };
}

export function requireInstalled(deployment: Deployment, operation: string): { port: number; version: string } {
  if (deployment.config === null) {
    const why = deployment.unitText === null ? `${UNIT_FILE} does not exist` : `${UNIT_FILE} was not written by webdemo`;
    throw new Error(`webdemo is not installed on ${deployment.server} (${why}); run install before ${operation}`);
  }
  return deployment.config;
}

/** What apply() did, as the extension sees it; the host's `changed` is the authority. */
export interface Applied {
  steps: string[];
  /** True when the unit or the page had to be written, or the unit (re)started. */
  touched: boolean;
}

/**
 * Brings the server to `desired`: writes only the files whose text differs
 * (so daemon-reload and restart happen only when the unit changed), then
 * enables and starts the unit. Enable and start of a unit already enabled and
 * active are no change (the host derives that).
 */
export async function apply(ctx: ProvContext, current: Deployment, desired: WebdemoConfig): Promise<Applied> {
  const { server } = current;
  const steps: string[] = [];
  const page = renderPage(desired);
  const unit = renderUnit(desired);
  // The page first: the server starts serving it the moment the unit starts.
  if (current.pageText !== page) {
    if (current.pageText === null) {
      await ctx.servers.mkdir(server, PAGE_DIR, { mode: 0o755 });
      steps.push(`mkdir ${PAGE_DIR}`);
    }
    await ctx.servers.upload(server, PAGE_FILE, page, { mode: 0o644 });
    steps.push(`upload ${PAGE_FILE}`);
  }
  const unitChanged = current.unitText !== unit;
  if (unitChanged) {
    await ctx.servers.upload(server, UNIT_FILE, unit, { mode: 0o644 });
    steps.push(`upload ${UNIT_FILE}`);
    await systemctl(ctx, server, 'daemon-reload', null);
    steps.push('daemon-reload');
  }
  if (current.unit.enabled !== 'enabled' || unitChanged) {
    await systemctl(ctx, server, 'enable');
    steps.push('enable');
  }
  const running = current.unit.active === 'active';
  if (running && unitChanged) {
    await systemctl(ctx, server, 'restart');
    steps.push('restart');
  } else if (!running) {
    await systemctl(ctx, server, 'start');
    steps.push('start');
  }
  return { steps, touched: steps.length > 0 };
}
