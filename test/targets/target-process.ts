/**
 * The processes behind a target: who owns it (so a crashed test's targets
 * can be found and ended), the container's PID 1 (to act inside it with
 * nsenter, no ssh needed), and the cgroups nspawn runs in.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile, rmdir } from 'node:fs/promises';
import path from 'node:path';

export const CGROUP_ROOTS = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup/systemd'];

export function cgroupName(name: string): string {
  return `prov-target-${name}`;
}

/** Whether pid runs. A zombie does not: nspawn outliving the process that started it is reparented to PID 1, which here reaps late. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** A process, told apart from a later one that got the same pid (its start time, in clock ticks since boot). */
export interface ProcessIdentity {
  pid: number;
  start: string;
}

function startTime(pid: number): string | undefined {
  try {
    // Field 22 of /proc/PID/stat; the command name (field 2) may hold spaces, so count after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function thisProcess(): ProcessIdentity {
  return { pid: process.pid, start: startTime(process.pid) ?? '' };
}

export function stillRunning(owner: ProcessIdentity): boolean {
  return alive(owner.pid) && startTime(owner.pid) === owner.start;
}

export async function readOwner(file: string): Promise<ProcessIdentity | undefined> {
  try {
    const owner = JSON.parse(await readFile(file, 'utf8')) as Partial<ProcessIdentity>;
    return typeof owner.pid === 'number' && typeof owner.start === 'string' ? { pid: owner.pid, start: owner.start } : undefined;
  } catch {
    return undefined;
  }
}

/** The container's PID 1 under nspawn, once it is systemd (before that it is nspawn's own fork). */
export function containerLeader(nspawnPid: number): number | undefined {
  try {
    const children = readdirSyncSafe(`/proc/${nspawnPid}/task`).flatMap((task) => readFileSync(`/proc/${nspawnPid}/task/${task}/children`, 'utf8').trim().split(/\s+/)).filter(Boolean);
    for (const child of children.map(Number)) {
      if (readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'systemd') return child;
    }
  } catch {
    // nspawn is gone, or has not forked yet
  }
  return undefined;
}

function readdirSyncSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs argv as root inside the container (all its namespaces, a clean
 * environment): the harness's own hands, which need no key and no sshd.
 */
export function execInContainer(leader: number, argv: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  const env = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOME=/root', 'LANG=C.UTF-8'];
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', ['-t', String(leader), '-a', '--', '/usr/bin/env', '-i', ...env, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** SIGKILLs whatever still runs in a target's cgroups (a container whose nspawn died leaves its PID 1 running). */
export async function killCgroup(name: string): Promise<void> {
  for (const root of CGROUP_ROOTS) {
    for (const file of await procsFiles(path.join(root, cgroupName(name)))) {
      const pids = (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
  }
}

async function procsFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const files = [path.join(dir, 'cgroup.procs')];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) files.push(...(await procsFiles(path.join(dir, entry.name))));
  }
  return files;
}

/** Removes a target's cgroups depth-first (a cgroup directory goes with rmdir once its children and processes are gone). */
export async function removeCgroups(name: string): Promise<void> {
  for (const root of CGROUP_ROOTS) await removeCgroup(path.join(root, cgroupName(name)));
}

async function removeCgroup(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await removeCgroup(path.join(dir, entry.name));
  }
  await rmdir(dir).catch(() => undefined);
}
