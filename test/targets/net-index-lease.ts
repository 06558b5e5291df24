/**
 * Which /30 a veth target gets: 10.213.IDX.0/30, IDX in 1..254, unique
 * across every vitest worker and process on the machine. A lease is a
 * directory `run/.net/IDX` made with mkdir, which only one process can win;
 * its `holder.json` names the process that took it (and the target using it,
 * if any), so a lease left by a crashed process can be taken back.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RUN_DIR } from './target-root.ts';
import { alive, readOwner, stillRunning, thisProcess, type ProcessIdentity } from './target-process.ts';

const LEASES = path.join(RUN_DIR, '.net');
/** Taken only while a stale lease is taken back: two processes never both decide that one lease is free. */
const RECLAIM_MUTEX = path.join(LEASES, '.reclaim');
const FIRST = 1;
const LAST = 254;

export interface NetIndexLease {
  readonly index: number;
}

/** The addresses of a lease's /30: the host's end and the machine's end of the veth pair. */
export function vethAddresses(index: number): { host: string; machine: string; prefix: 30 } {
  return { host: `10.213.${index}.1`, machine: `10.213.${index}.2`, prefix: 30 };
}

interface Holder extends ProcessIdentity {
  /** The target booted on this lease, whose running keeps the lease taken even after its holder is gone. */
  target?: string;
}

/** Takes a free index; `target` is recorded so a lease whose holder crashed stays taken while that target runs. */
export async function takeNetIndex(target?: string): Promise<NetIndexLease> {
  await mkdir(LEASES, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    for (let index = FIRST; index <= LAST; index++) {
      if (await claim(index, target)) return { index };
    }
    // Nothing free: take back what crashed processes left, then look again.
    await reclaimStale();
  }
  throw new Error(`no free veth index in ${LEASES} (all ${LAST - FIRST + 1} taken)`);
}

/** Records which target runs on a lease (the lease outlives its holder while that target runs). */
export async function bindNetIndex(lease: NetIndexLease, target: string): Promise<void> {
  const file = path.join(LEASES, String(lease.index), 'holder.json');
  const holder = JSON.parse(await readFile(file, 'utf8')) as Holder;
  await writeFile(file, JSON.stringify({ ...holder, target }));
}

export async function releaseNetIndex(lease: NetIndexLease): Promise<void> {
  await rm(path.join(LEASES, String(lease.index)), { recursive: true, force: true });
}

async function claim(index: number, target: string | undefined): Promise<boolean> {
  const dir = path.join(LEASES, String(index));
  try {
    await mkdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  await writeFile(path.join(dir, 'holder.json'), JSON.stringify({ ...thisProcess(), ...(target === undefined ? {} : { target }) } satisfies Holder));
  return true;
}

/**
 * Frees leases whose holder process is gone and whose target (if any) no
 * longer runs. A lease without holder.json yet is being taken right now,
 * unless it is old. Runs under a mutex directory; a mutex older than 30 s
 * was left by a crash and is broken.
 */
export async function reclaimStale(): Promise<void> {
  if (!(await takeMutex())) return;
  try {
    for (const entry of await readdir(LEASES)) {
      if (!/^\d+$/.test(entry)) continue;
      const dir = path.join(LEASES, entry);
      if (await isStale(dir)) await rm(dir, { recursive: true, force: true });
    }
  } finally {
    await rm(RECLAIM_MUTEX, { recursive: true, force: true });
  }
}

async function isStale(dir: string): Promise<boolean> {
  const file = path.join(dir, 'holder.json');
  const owner = await readOwner(file);
  if (owner === undefined) return (await ageMs(dir)) > 60_000;
  if (stillRunning(owner)) return false;
  const holder = JSON.parse(await readFile(file, 'utf8')) as Holder;
  return holder.target === undefined || !targetRunning(holder.target);
}

function targetRunning(name: string): boolean {
  const pidFile = path.join(RUN_DIR, name, 'pid');
  if (!existsSync(pidFile)) return false;
  try {
    return alive(Number(readFileSync(pidFile, 'utf8')));
  } catch {
    return false;
  }
}

async function takeMutex(): Promise<boolean> {
  try {
    await mkdir(RECLAIM_MUTEX);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if ((await ageMs(RECLAIM_MUTEX)) > 30_000) await rm(RECLAIM_MUTEX, { recursive: true, force: true });
    return false;
  }
}

async function ageMs(file: string): Promise<number> {
  try {
    return Date.now() - (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}
