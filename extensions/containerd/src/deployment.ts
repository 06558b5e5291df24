import type { ProvContext } from 'prov/sdk';
import type { Arch } from './catalog.js';
import { fetchRelease } from './fetch-release.js';
import { BIN_DIR, CONFIG_DIR, CONFIG_FILE, RECEIPT_FILE, UNIT_FILE } from './layout.js';
import { parseReceipt, renderReceipt, type Receipt, type Settings } from './receipt.js';
import { releaseOf } from './release.js';
import { readRemote } from './remote-files.js';
import { renderConfig, renderUnit } from './render.js';
import { systemctl, unitState, type UnitState } from './systemd.js';

/** What is on the server now: read only, so it costs no change and runs under --check too. */
export interface Deployment {
  server: string;
  unit: UnitState;
  unitText: string | null;
  configText: string | null;
  receiptText: string | null;
  /** What the receipt says is installed; null when containerd was not installed by this task service. */
  receipt: Receipt | null;
}

export async function readDeployment(ctx: ProvContext, server: string): Promise<Deployment> {
  const [unit, unitText, configText, receiptText] = await Promise.all([
    unitState(ctx, server),
    readRemote(ctx, server, UNIT_FILE),
    readRemote(ctx, server, CONFIG_FILE),
    readRemote(ctx, server, RECEIPT_FILE),
  ]);
  return { server, unit, unitText, configText, receiptText, receipt: receiptText === null ? null : parseReceipt(receiptText) };
}

export function requireInstalled(deployment: Deployment, operation: string): Receipt {
  if (deployment.receipt === null) {
    const why = deployment.receiptText === null ? `${RECEIPT_FILE} does not exist` : `${RECEIPT_FILE} is not a receipt this task service wrote`;
    throw new Error(`containerd is not installed on ${deployment.server} by this task service (${why}); run install before ${operation}`);
  }
  return deployment.receipt;
}

/** The state install, configure and upgrade bring a server to. */
export interface Desired {
  version: string;
  arch: Arch;
  mirror: string;
  /** The tarball's expected sha256, when the operator gave it. */
  sha256?: string;
  settings: Settings;
}

/** What apply() did, as the extension sees it; the host's `changed` is the authority. */
export interface Applied {
  steps: string[];
  touched: boolean;
}

/** Whether the installed binaries are the desired release: same version and arch, and the same bits if a sha256 was given. */
function binariesMatch(receipt: Receipt | null, desired: Desired): boolean {
  if (receipt === null) return false;
  if (receipt.version !== desired.version || receipt.arch !== desired.arch) return false;
  return desired.sha256 === undefined || receipt.sha256 === desired.sha256;
}

/**
 * Brings the server to `desired`, changing only what differs: the release is
 * downloaded only when the receipt names another one; config.toml and the
 * unit are written only when their text differs (so daemon-reload and a
 * restart happen only then); enable and start only when not enabled and
 * active. The receipt is written right after the binaries are unpacked: an
 * install killed before that downloads again next time.
 */
export async function apply(ctx: ProvContext, current: Deployment, desired: Desired): Promise<Applied> {
  const { server } = current;
  const steps: string[] = [];
  const release = releaseOf(desired.mirror, desired.version, desired.arch);
  const newBinaries = !binariesMatch(current.receipt, desired);
  let receipt: Receipt = current.receipt ?? { version: desired.version, arch: desired.arch, mirror: release.mirror, url: release.url, sha256: null, binaries: [], settings: desired.settings };
  if (newBinaries) {
    const fetched = await fetchRelease(ctx, server, release, desired.sha256, steps, current.receiptText === null);
    // A binary the old release had and this one has not (containerd 2 dropped the v1 shims) goes.
    for (const binary of current.receipt?.binaries ?? []) {
      if (!fetched.binaries.includes(binary)) {
        await ctx.servers.remove(server, `${BIN_DIR}/${binary}`);
        steps.push(`remove ${BIN_DIR}/${binary}`);
      }
    }
    receipt = { ...receipt, version: desired.version, arch: desired.arch, url: release.url, sha256: fetched.sha256, binaries: fetched.binaries };
  }
  receipt = { ...receipt, mirror: release.mirror, settings: desired.settings };
  const receiptText = renderReceipt(receipt);
  if (current.receiptText !== receiptText) {
    await ctx.servers.upload(server, RECEIPT_FILE, receiptText, { mode: 0o644 });
    steps.push(`upload ${RECEIPT_FILE}`);
  }

  const config = renderConfig(desired.settings);
  const configChanged = current.configText !== config;
  if (configChanged) {
    if (current.configText === null) await ctx.servers.mkdir(server, CONFIG_DIR, { mode: 0o755 });
    await ctx.servers.upload(server, CONFIG_FILE, config, { mode: 0o644 });
    steps.push(`upload ${CONFIG_FILE}`);
  }
  const unit = renderUnit(desired.version);
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
  if (running && (newBinaries || configChanged || unitChanged)) {
    await systemctl(ctx, server, 'restart');
    steps.push('restart');
  } else if (!running) {
    await systemctl(ctx, server, 'start');
    steps.push('start');
  }
  return { steps, touched: steps.length > 0 };
}
