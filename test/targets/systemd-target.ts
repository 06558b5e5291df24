/**
 * Real servers for the tests: a minimal Debian root booted with
 * systemd-nspawn — real systemd as PID 1, real sshd. The recipe, its
 * workarounds for this kind of machine and its timings are in
 * ../shared/notes/systemd-targets.md.
 *
 *   - the root is built once with mmdebstrap and cached, never modified
 *     (target-root.ts); each boot gets a writable layer on top: a tmpfs
 *     (--volatile=overlay, clean every boot) or a disk kept across boots
 *     (target-disk.ts);
 *   - nspawn runs in a private mount namespace with a tmpfs on
 *     /run/systemd/nspawn (the host's /run is not a tmpfs), in cgroups of its
 *     own, with `--keep-unit --register=no` (no machined, no systemd on the
 *     host);
 *   - network, two modes: `host` shares the host's network, sshd on
 *     127.0.0.1:PORT (apt works); `veth` gives the target 10.213.IDX.2 in a
 *     namespace of its own (target-network.ts), sshd on port 22 as on a real
 *     server, no route out;
 *   - root logs in with the authorized_keys given (what a cloud injects) or
 *     with a key made for the target; the host key is the cached root's (or
 *     one given), pinned in a known_hosts file of the target's own.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { bindNetIndex, releaseNetIndex, takeNetIndex, vethAddresses, type NetIndexLease } from './net-index-lease.ts';
import { discardDisk, diskLayout, ensureDisk, type DiskLayout } from './target-disk.ts';
import { createVethNetwork, MAX_VETH_NAME, netnsPath, removeVethNetwork } from './target-network.ts';
import { alive, CGROUP_ROOTS, cgroupName, containerLeader, execInContainer, killCgroup, removeCgroups, thisProcess, type ExecResult } from './target-process.ts';
import { ensureRoot, RUN_DIR } from './target-root.ts';
import { sshBanner, sshRun, type SshResult } from './target-ssh.ts';
import { prepareSshd } from './target-sshd.ts';
import { forgetOwned, noteOwned } from './owned-targets.ts';

export { ensureRoot, TARGET_BASE, targetsUnavailable } from './target-root.ts';
export { releaseNetIndex, takeNetIndex, vethAddresses, type NetIndexLease } from './net-index-lease.ts';
export { discardDisk, ensureDisk as prepareDisk, type DiskLayout } from './target-disk.ts';
export type { ExecResult } from './target-process.ts';

const run = promisify(execFile);

/** `host`: the host's network, sshd on 127.0.0.1:port. `veth`: 10.213.IDX.2:22 on a lease the caller holds, else one taken for this boot. */
export type TargetNetwork = { mode: 'host'; port: number } | { mode: 'veth'; lease?: NetIndexLease };

export interface MachineOptions {
  network: TargetNetwork;
  /**
   * root's authorized_keys (what a cloud injects: the operator's registered
   * keys); without it, a key is made for the target. On a disk they are
   * installed at its first boot only, then are the machine's own file.
   */
  authorizedKeys?: string;
  /** A private host key file for sshd instead of the cached root's (which every target shares). */
  hostKey?: string;
  /** Keep the writable layer across down/up (a disk), until `discardDisk(name)`. */
  disk?: boolean;
  /** This process owns the target: pruneTargets ends it (and its disk) once this process is gone. */
  owned?: boolean;
  bootTimeoutMs?: number;
  log?: (line: string) => void;
}

/** A booted target, reached by the harness through nsenter (no key needed). */
export interface Machine {
  name: string;
  network: 'host' | 'veth';
  /** Where sshd answers: 127.0.0.1 (host mode) or 10.213.IDX.2 (veth mode). */
  host: string;
  port: number;
  user: 'root';
  /** A known_hosts file with the target's host key, for host:port. */
  knownHosts: string;
  /** The target's host key line (`ssh-ed25519 AAAA…`). */
  hostKey: string;
  /** Runs argv as root in the target, through nsenter: the harness's own hands, no ssh. */
  exec(argv: string[], options?: { input?: string; allowFailure?: boolean }): Promise<ExecResult>;
  down(): Promise<void>;
}

/** A target the test can also ssh into as root. */
export interface Target extends Machine {
  /** Private key that logs in as root. */
  identity: string;
  /** Runs a command on the target as root over ssh (the tests' own eyes, not prov's). */
  ssh(command: string, options?: { input?: string; allowFailure?: boolean; user?: string; timeoutMs?: number }): Promise<SshResult>;
}

/** Boots a target named `name` with sshd on 127.0.0.1:`port`; resolves once root can log in. */
export function upTarget(name: string, port: number, log?: (line: string) => void): Promise<Target>;
/** Boots a target; without `authorizedKeys` a key is made for it, with them `identity` must be the private half of one. */
export function upTarget(name: string, options: MachineOptions & { identity?: string }): Promise<Target>;
export async function upTarget(name: string, portOrOptions: number | (MachineOptions & { identity?: string }), log?: (line: string) => void): Promise<Target> {
  const options = typeof portOrOptions === 'number' ? { network: { mode: 'host' as const, port: portOrOptions }, ...(log === undefined ? {} : { log }) } : portOrOptions;
  if (options.authorizedKeys !== undefined && options.identity === undefined) throw new Error('upTarget with authorizedKeys needs the identity that logs in with one of them (bootMachine boots without)');
  const { machine, identity } = await startMachine(name, options);
  const endpoint = { host: machine.host, port: machine.port, identity: options.identity ?? identity!, knownHosts: machine.knownHosts };
  const target: Target = { ...machine, identity: endpoint.identity, ssh: (command, sshOptions = {}) => sshRun(endpoint, command, sshOptions) };
  const login = await target.ssh('true', { allowFailure: true, timeoutMs: 20_000 });
  if (login.code !== 0) {
    await downTarget(name);
    throw new Error(`target ${name} is up but root cannot log in with ${endpoint.identity}: ${login.stderr}`);
  }
  options.log?.(`target ${name} up on ${machine.host}:${machine.port}`);
  return target;
}

/** Boots a target without a key of the harness's: for machines whose authorized_keys belong to someone else (an emulated cloud's servers). */
export async function bootMachine(name: string, options: MachineOptions): Promise<Machine> {
  return (await startMachine(name, options)).machine;
}

interface NetworkRecord {
  mode: 'host' | 'veth';
  index?: number;
  /** The lease was taken for this boot and goes at down (else the caller holds it). */
  ownLease?: boolean;
}

async function startMachine(name: string, options: MachineOptions): Promise<{ machine: Machine; identity?: string }> {
  const veth = options.network.mode === 'veth';
  const maxName = veth ? MAX_VETH_NAME : 31;
  if (!new RegExp(`^[a-z][a-z0-9-]{0,${maxName - 1}}$`).test(name)) throw new Error(`bad target name ${name} (${veth ? `veth names have at most ${MAX_VETH_NAME} characters` : 'a-z, 0-9, -'})`);
  const root = await ensureRoot(options.log);
  const dir = path.join(RUN_DIR, name);
  await downTarget(name);
  await mkdir(dir, { recursive: true });
  if (options.owned) {
    await writeFile(path.join(dir, 'owner.json'), JSON.stringify(thisProcess()));
    noteOwned(name);
  }

  let identity: string | undefined;
  let authorizedKeys = options.authorizedKeys;
  if (authorizedKeys === undefined) {
    identity = path.join(dir, 'id_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `prov-target-${name}`, '-f', identity]);
    authorizedKeys = await readFile(`${identity}.pub`, 'utf8');
  }

  let host = '127.0.0.1';
  let port = 22;
  const network: NetworkRecord = { mode: options.network.mode };
  if (options.network.mode === 'veth') {
    const lease = options.network.lease ?? (await takeNetIndex(name));
    network.index = lease.index;
    network.ownLease = options.network.lease === undefined;
    if (!network.ownLease) await bindNetIndex(lease, name);
    await writeFile(path.join(dir, 'network.json'), JSON.stringify(network));
    await createVethNetwork(name, lease.index);
    host = vethAddresses(lease.index).machine;
  } else {
    port = options.network.port;
    await writeFile(path.join(dir, 'network.json'), JSON.stringify(network));
  }

  const disk = options.disk ? await ensureDisk(name, options.owned) : undefined;
  const { binds, hostKey, knownHosts } = await prepareSshd(dir, {
    root, host, port, hostMode: !veth, authorizedKeys,
    ...(options.hostKey === undefined ? {} : { hostKeyFile: options.hostKey }),
    ...(disk === undefined ? {} : { disk }),
  });

  for (const cgroup of CGROUP_ROOTS) await mkdir(path.join(cgroup, cgroupName(name)), { recursive: true });
  await mkdir('/run/systemd/nspawn', { recursive: true });
  const nspawn = [
    'systemd-nspawn', '--quiet', '--keep-unit', '--register=no', `--machine=prov-${name}`,
    ...(disk === undefined ? ['-D', root, '--volatile=overlay'] : ['-D', disk.mountpoint]),
    '--console=read-only', '--resolv-conf=copy-host', '--timezone=off',
    ...(veth ? [`--network-namespace-path=${netnsPath(name)}`] : []),
    ...binds, '-b',
  ];
  const pid = launch(name, nspawn, root, disk, path.join(dir, 'console.log'));
  await writeFile(path.join(dir, 'pid'), String(pid));

  const machine: Machine = {
    name, network: options.network.mode, host, port, user: 'root', knownHosts, hostKey,
    exec: async (argv, execOptions = {}) => {
      const leader = containerLeader(pid);
      if (leader === undefined) throw new Error(`target ${name} is not running`);
      const result = await execInContainer(leader, argv, execOptions);
      if (result.code !== 0 && !execOptions.allowFailure) throw new Error(`${argv.join(' ')} in target ${name} → ${result.code}: ${result.stderr}`);
      return result;
    },
    down: () => downTarget(name),
  };
  try {
    await waitUntilUp(name, pid, host, port, options.bootTimeoutMs ?? 60_000);
  } catch (error) {
    await downTarget(name);
    throw error;
  }
  return { machine, ...(identity === undefined ? {} : { identity }) };
}

/**
 * Starts nspawn detached (its own session: it outlives a crash of the test
 * process, and down ends it by pid). unshare and bash exec, so the pid is
 * nspawn's. Paths reach the script through the environment, never spliced
 * into its text.
 */
function launch(name: string, nspawn: string[], root: string, disk: DiskLayout | undefined, consoleLog: string): number {
  const script = `set -e
    mount -t tmpfs -o mode=755 tmpfs /run/systemd/nspawn
    if [ -n "$PROV_DISK_MOUNT" ]; then mount -t overlay overlay -o "lowerdir=$PROV_ROOT,upperdir=$PROV_DISK_UPPER,workdir=$PROV_DISK_WORK" "$PROV_DISK_MOUNT"; fi
    for cgroup in ${CGROUP_ROOTS.map((root) => `"${root}/$PROV_CGROUP"`).join(' ')}; do echo $$ > "$cgroup/cgroup.procs"; done
    exec "$@"`;
  const console = openSync(consoleLog, 'a');
  try {
    const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'bash', '-c', script, 'bash', ...nspawn], {
      stdio: ['ignore', console, console],
      detached: true,
      env: {
        PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        PROV_ROOT: root,
        PROV_CGROUP: cgroupName(name),
        PROV_DISK_MOUNT: disk?.mountpoint ?? '',
        PROV_DISK_UPPER: disk?.upper ?? '',
        PROV_DISK_WORK: disk?.work ?? '',
      },
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start nspawn for ${name}`);
    return child.pid;
  } finally {
    closeSync(console);
  }
}

/** Up means: systemd says the system is running (or degraded), and sshd greets on host:port. */
async function waitUntilUp(name: string, pid: number, host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const check = async () => {
    if (!alive(pid)) throw new Error(`target ${name} stopped while booting: ${(await consoleTail(name)) || 'no console output'}`);
    if (Date.now() > deadline) throw new Error(`target ${name} did not come up within ${timeoutMs / 1000} s: ${await consoleTail(name)}`);
  };
  for (;;) {
    await check();
    const leader = containerLeader(pid);
    if (leader !== undefined) {
      // Before systemd's bus is up this fails at once ("Failed to connect to bus"): ask again.
      const state = await execInContainer(leader, ['systemctl', 'is-system-running', '--wait'], { timeoutMs: Math.max(1_000, deadline - Date.now()) });
      if (/^(running|degraded)$/m.test(state.stdout)) break;
    }
    await pause(100);
  }
  for (;;) {
    await check();
    if (await sshBanner(host, port)) return;
    await pause(100);
  }
}

async function consoleTail(name: string): Promise<string> {
  const text = await readFile(path.join(RUN_DIR, name, 'console.log'), 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-15).join('\n');
}

/**
 * Powers a target off (SIGTERM to nspawn: an orderly poweroff), then removes
 * its network, cgroups and state; a lease taken for it is released. Its disk
 * stays unless `discardDisk`. Idempotent, and safe after a half-done up.
 */
export async function downTarget(name: string, options: { discardDisk?: boolean } = {}): Promise<void> {
  const dir = path.join(RUN_DIR, name);
  const pidFile = path.join(dir, 'pid');
  if (existsSync(pidFile)) {
    const pid = Number(await readFile(pidFile, 'utf8'));
    if (alive(pid)) {
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 10_000;
      while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }
  await killCgroup(name);
  await removeCgroups(name);
  const network = JSON.parse(await readFile(path.join(dir, 'network.json'), 'utf8').catch(() => '{}')) as Partial<NetworkRecord>;
  if (network.mode === 'veth' || (name.length <= MAX_VETH_NAME && existsSync(netnsPath(name)))) await removeVethNetwork(name);
  if (network.ownLease && network.index !== undefined) await releaseNetIndex({ index: network.index });
  await rm(dir, { recursive: true, force: true });
  // An owned target is forgotten (no cleanup at exit) once neither it nor its disk is left.
  if (options.discardDisk) await discardDisk(name);
  else if (!existsSync(diskLayout(name).dir)) forgetOwned(name);
}
