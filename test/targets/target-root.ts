/**
 * The cached Debian root every target boots from, and whether this machine
 * can boot targets at all. The root is built once with mmdebstrap (~60 s)
 * and never modified: each boot puts a writable layer on top of it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Everything the targets keep on disk: the cached root, running targets' state, disks, address leases. */
export const TARGET_BASE = process.env['PROV_TARGET_BASE'] ?? '/var/tmp/prov-target';
/** One directory per running target (`run/NAME`), plus the address leases (`run/.net`). */
export const RUN_DIR = path.join(TARGET_BASE, 'run');
const SUITE = 'bookworm';
const MIRROR = 'http://deb.debian.org/debian';
const PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'iproute2', 'procps', 'python3', 'ca-certificates', 'curl', 'sudo'];
const TOOLS = ['systemd-nspawn', 'mmdebstrap', 'unshare', 'nsenter', 'ip', 'ssh', 'ssh-keygen'];

/** Why targets cannot start here, or undefined when they can. */
export async function targetsUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'systemd-nspawn targets need root';
  if (!existsSync('/sys/fs/cgroup/unified') || !existsSync('/sys/fs/cgroup/systemd')) return 'no hybrid cgroup hierarchy (/sys/fs/cgroup/unified and /systemd)';
  for (const tool of TOOLS) {
    try {
      await run('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `${tool} is not installed (apt-get install systemd-container mmdebstrap openssh-client iproute2)`;
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
