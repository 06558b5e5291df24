/**
 * Real servers for the tests: a minimal Debian root booted with
 * systemd-nspawn — real systemd as PID 1, real sshd — on 127.0.0.1:PORT.
 * The recipe, its workarounds for this kind of machine and its timings are
 * in ../shared/notes/systemd-targets.md.
 *
 *   - the root is built once with mmdebstrap (~60 s) and cached, never
 *     modified: `--volatile=overlay` boots every target clean;
 *   - nspawn runs in a private mount namespace with a tmpfs on
 *     /run/systemd/nspawn (the host's /run is not a tmpfs), in cgroups of its
 *     own, with `--keep-unit --register=no` (no machined, no systemd on the
 *     host);
 *   - sshd listens on 127.0.0.1:PORT (host network), root logs in with a key
 *     made for this target; the host key is the cached root's, pinned in a
 *     known_hosts file of the target's own.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, rmdir, writeFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const TARGET_BASE = process.env['PROV_TARGET_BASE'] ?? '/var/tmp/prov-target';
const SUITE = 'bookworm';
const MIRROR = 'http://deb.debian.org/debian';
const PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'iproute2', 'procps', 'python3', 'ca-certificates', 'curl', 'sudo'];
const TOOLS = ['systemd-nspawn', 'mmdebstrap', 'unshare', 'ssh', 'ssh-keygen'];

export interface Target {
  name: string;
  host: string;
  port: number;
  user: 'root';
  /** Private key that logs in as root. */
  identity: string;
  /** A known_hosts file with the target's host key, for `127.0.0.1:PORT`. */
  knownHosts: string;
  /** The target's host key line (`ssh-ed25519 AAAA…`). */
  hostKey: string;
  /** Runs a command on the target as root over ssh (the tests' own eyes, not prov's). */
  ssh(command: string, options?: { input?: string; allowFailure?: boolean }): Promise<{ code: number; stdout: string; stderr: string }>;
  down(): Promise<void>;
}

/** Why targets cannot start here, or undefined when they can. */
export async function targetsUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'systemd-nspawn targets need root';
  if (!existsSync('/sys/fs/cgroup/unified') || !existsSync('/sys/fs/cgroup/systemd')) return 'no hybrid cgroup hierarchy (/sys/fs/cgroup/unified and /systemd)';
  for (const tool of TOOLS) {
    try {
      await run('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `${tool} is not installed (apt-get install systemd-container mmdebstrap openssh-client)`;
    }
  }
  return undefined;
}

function rootDir(): string {
  const hash = createHash('sha256').update(`${SUITE} ${PACKAGES.join(',')} v1`).digest('hex').slice(0, 12);
  return path.join(TARGET_BASE, 'cache', `${SUITE}-${hash}`);
}

/** Builds the cached root once (mmdebstrap into a temp dir, then rename: a half-built root is never used). */
export async function ensureRoot(log: (line: string) => void = () => undefined): Promise<string> {
  const root = rootDir();
  if (existsSync(path.join(root, '.prov-ready'))) return root;
  await mkdir(path.dirname(root), { recursive: true });
  const building = `${root}.building-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  log(`building the target root ${root} (mmdebstrap, about a minute)`);
  const hooks = [
    'echo prov-target > "$1/etc/hostname"',
    ': > "$1/etc/machine-id"',
    'mkdir -p -m 700 "$1/root/.ssh"',
    'for unit in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service; do ln -sf /dev/null "$1/etc/systemd/system/$unit"; done',
  ];
  await run('mmdebstrap', ['--quiet', '--variant=minbase', `--include=${PACKAGES.join(',')}`, ...hooks.map((hook) => `--customize-hook=${hook}`), SUITE, building, MIRROR], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 10 * 60_000,
  });
  await writeFile(path.join(building, '.prov-ready'), new Date().toISOString());
  await rename(building, root);
  return root;
}

const CGROUP_ROOTS = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup/systemd'];

/** Boots a target named `name` with sshd on 127.0.0.1:`port`; resolves once root can log in. */
export async function upTarget(name: string, port: number, log: (line: string) => void = () => undefined): Promise<Target> {
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(name)) throw new Error(`bad target name ${name}`);
  const root = await ensureRoot(log);
  const dir = path.join(TARGET_BASE, 'run', name);
  await downTarget(name);
  await mkdir(dir, { recursive: true });
  const identity = path.join(dir, 'id_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `prov-target-${name}`, '-f', identity]);
  const sshdConf = path.join(dir, 'sshd.conf');
  await writeFile(sshdConf, `Port ${port}\nListenAddress 127.0.0.1\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUseDNS no\nMaxSessions 64\nMaxStartups 64:30:128\n`);
  const hostKey = (await readFile(path.join(root, 'etc', 'ssh', 'ssh_host_ed25519_key.pub'), 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  const knownHosts = path.join(dir, 'known_hosts');
  await writeFile(knownHosts, `[127.0.0.1]:${port} ${hostKey}\n`);
  for (const cgroup of CGROUP_ROOTS) await mkdir(path.join(cgroup, `prov-target-${name}`), { recursive: true });
  await mkdir('/run/systemd/nspawn', { recursive: true });

  const script = `
    mount -t tmpfs -o mode=755 tmpfs /run/systemd/nspawn
    for r in ${CGROUP_ROOTS.join(' ')}; do echo $$ > $r/prov-target-${name}/cgroup.procs; done
    exec systemd-nspawn --quiet --keep-unit --register=no --machine=prov-${name} -D ${root} \\
      --volatile=overlay --console=read-only --resolv-conf=copy-host --timezone=off \\
      --bind-ro=${identity}.pub:/root/.ssh/authorized_keys \\
      --bind-ro=${sshdConf}:/etc/ssh/sshd_config.d/50-prov-target.conf -b`;
  // detached: the child is made a session leader (setsid); unshare and bash exec, so its pid is nspawn's.
  const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'bash', '-c', script], {
    stdio: ['ignore', 'ignore', 'ignore'],
    detached: true,
  });
  child.unref();
  await writeFile(path.join(dir, 'pid'), String(child.pid));

  const target: Target = {
    name,
    host: '127.0.0.1',
    port,
    user: 'root',
    identity,
    knownHosts,
    hostKey,
    ssh: (command, options = {}) => sshRun(target, command, options),
    down: () => downTarget(name),
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const probe = await sshRun(target, 'systemctl is-system-running --wait', { allowFailure: true, timeoutMs: 20_000 }).catch(() => undefined);
    if (probe !== undefined && /running|degraded/.test(probe.stdout)) break;
    if (Date.now() > deadline) {
      await downTarget(name);
      throw new Error(`target ${name} did not come up within 60 s: ${probe?.stderr ?? 'no answer'}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  log(`target ${name} up on 127.0.0.1:${port}`);
  return target;
}

function sshArgs(target: Pick<Target, 'identity' | 'knownHosts' | 'port'>): string[] {
  return [
    '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${target.knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR',
    '-i', target.identity, '-p', String(target.port), 'root@127.0.0.1',
  ];
}

async function sshRun(
  target: Target,
  command: string,
  options: { input?: string; allowFailure?: boolean; timeoutMs?: number },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', [...sshArgs(target), command], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = { code: code ?? -1, stdout, stderr };
      if (code !== 0 && !options.allowFailure) reject(new Error(`ssh ${command} → ${code}: ${stderr}`));
      else resolve(result);
    });
    child.stdin.on('error', () => undefined); // ssh may exit before reading its input
    child.stdin.end(options.input ?? '');
  });
}

/** Powers a target off (SIGTERM to nspawn: an orderly poweroff), removes its cgroups and state. Idempotent. */
export async function downTarget(name: string): Promise<void> {
  const dir = path.join(TARGET_BASE, 'run', name);
  const pidFile = path.join(dir, 'pid');
  if (existsSync(pidFile)) {
    const pid = Number(await readFile(pidFile, 'utf8'));
    // The unshare'd bash exec'd nspawn: the recorded pid is nspawn's.
    if (alive(pid)) {
      process.kill(pid, 'SIGTERM');
      const deadline = Date.now() + 10_000;
      while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      if (alive(pid)) process.kill(-pid, 'SIGKILL');
    }
  }
  for (const cgroup of CGROUP_ROOTS) await removeCgroup(path.join(cgroup, `prov-target-${name}`));
  await rm(dir, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function removeCgroup(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await removeCgroup(path.join(dir, entry.name));
  }
  await rmdir(dir).catch(() => undefined);
}
