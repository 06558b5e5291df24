/**
 * Ends what crashed processes left behind: targets and disks booted with
 * `owned: true` whose owner process is gone, and veth leases nobody holds.
 * Targets started by hand (`npm run target -- up`) have no owner and are
 * never pruned.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { reclaimStale } from './net-index-lease.ts';
import { discardDisk, DISKS_DIR } from './target-disk.ts';
import { readOwner, stillRunning } from './target-process.ts';
import { RUN_DIR } from './target-root.ts';
import { downTarget } from './systemd-target.ts';

export async function pruneTargets(log: (line: string) => void = () => undefined): Promise<string[]> {
  const pruned: string[] = [];
  for (const name of await entries(RUN_DIR)) {
    const owner = await readOwner(path.join(RUN_DIR, name, 'owner.json'));
    if (owner === undefined || stillRunning(owner)) continue;
    log(`pruning target ${name} (its owner, pid ${owner.pid}, is gone)`);
    await downTarget(name, { discardDisk: true });
    pruned.push(name);
  }
  for (const name of await entries(DISKS_DIR)) {
    const owner = await readOwner(path.join(DISKS_DIR, name, 'owner.json'));
    if (owner === undefined || stillRunning(owner) || existsSync(path.join(RUN_DIR, name))) continue;
    log(`pruning the disk of ${name} (its owner, pid ${owner.pid}, is gone)`);
    await discardDisk(name);
    pruned.push(name);
  }
  await reclaimStale();
  return pruned;
}

async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((entry) => !entry.startsWith('.'));
  } catch {
    return [];
  }
}
