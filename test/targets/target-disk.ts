/**
 * A target's disk: the writable overlay layer over the cached root, kept
 * across down and up the way a cloud server's disk survives a reboot or a
 * power cycle. Without one, a target boots with nspawn's --volatile=overlay
 * (a tmpfs layer) and forgets everything at down. The overlay is mounted in
 * nspawn's private mount namespace, so nothing is mounted on the host.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { forgetOwned, noteOwned } from './owned-targets.ts';
import { thisProcess } from './target-process.ts';
import { RUN_DIR, TARGET_BASE } from './target-root.ts';

export const DISKS_DIR = path.join(TARGET_BASE, 'disks');

export interface DiskLayout {
  dir: string;
  upper: string;
  work: string;
  /** Where the overlay is mounted (inside nspawn's mount namespace only), nspawn's -D. */
  mountpoint: string;
}

export function diskLayout(name: string): DiskLayout {
  const dir = path.join(DISKS_DIR, name);
  return { dir, upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), mountpoint: path.join(dir, 'rootfs') };
}

/**
 * Makes a target's disk (idempotent). `owned`: this process owns it, so it
 * is pruned once this process is gone; files an owner keeps beside the
 * layers (a host key, say) go with it.
 */
export async function ensureDisk(name: string, owned = false): Promise<DiskLayout> {
  const layout = diskLayout(name);
  for (const dir of [layout.upper, layout.work, layout.mountpoint]) await mkdir(dir, { recursive: true });
  if (owned) {
    await writeFile(path.join(layout.dir, 'owner.json'), JSON.stringify(thisProcess()));
    noteOwned(name);
  }
  return layout;
}

export async function discardDisk(name: string): Promise<void> {
  await rm(diskLayout(name).dir, { recursive: true, force: true });
  if (!existsSync(path.join(RUN_DIR, name))) forgetOwned(name);
}
