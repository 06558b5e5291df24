import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadExtension, runOperation, type LoadedExtension } from '../dist/runtime/index.js';
import { targetsUnavailable, upTarget, type Target } from '../test/targets/systemd-target.ts';
import { interleave, series } from './harness.js';

/** Calls per operation; a sample is the operation's time divided by this. */
export const SERVER_CALLS_PER_OPERATION = 10;

export interface ServerCallFigure {
  /** Per call, ms, through prov (Sandbox): ctx.servers.exec(['/bin/true']) over the run's SSH master. */
  exec: number[];
  /** Per call, ms: ctx.systemctl('is-active', 'ssh.service'). */
  isActive: number[];
  /** Per call, ms: one `ssh` process (full handshake) running /bin/true, the way a tool without multiplexing does it. */
  sshPerCall: number[];
}

const SOURCE = `import { defineTaskserv } from 'prov/sdk';
const none = async () => null;
export default defineTaskserv({
  install: none, uninstall: none, configure: none, status: none, restart: none, upgrade: none, getCurrentVersion: none, getAvailableVersions: none, checkUpdates: none,
  async execLoop(input: any, ctx: any) { for (let i = 0; i < input.n; i++) { const r = await ctx.servers.exec(ctx.target.name, ['/bin/true']); if (r.code !== 0) throw new Error('exit ' + r.code); } return input.n; },
  async activeLoop(input: any, ctx: any) { for (let i = 0; i < input.n; i++) { const r = await ctx.systemctl('is-active', 'ssh.service'); if (r.active !== 'active') throw new Error(r.active); } return input.n; },
} as any);
`;

/** Why the figure cannot be measured here, or the figure. */
export async function measureServerCalls(rounds: number): Promise<ServerCallFigure | { skipped: string }> {
  const why = await targetsUnavailable();
  if (why !== undefined) return { skipped: why };
  const root = await mkdtemp(path.join(os.tmpdir(), 'prov-bench-servers-'));
  let target: Target | undefined;
  let extension: LoadedExtension | undefined;
  try {
    target = await upTarget('bench', 2261);
    const dir = path.join(root, 'ext');
    await mkdir(path.join(dir, 'src'), { recursive: true });
    await writeFile(path.join(dir, 'metadata.toml'), `[extension]\nname = "bench-servers"\ntype = "taskserv"\nversion = "0.1.0"\n[permissions]\nservers = ["bench"]\nexec = ["/bin/true"]\nsystemctl = ["ssh.service"]\n`);
    await writeFile(path.join(dir, 'src', 'index.ts'), SOURCE);
    const server = { name: 'bench', host: '127.0.0.1', port: target.port, user: 'root', identity: target.identity, tags: [], hostKeys: [target.hostKey], source: 'manual', createdAt: new Date().toISOString() };
    extension = await loadExtension(dir, {
      log: { write() {} },
      audit: { write() {} },
      grant: { servers: ['bench'], exec: ['/bin/true'], systemctl: ['ssh.service'] },
      inventory: [server],
      env: { PROV_HOME: root },
    });
    const loaded = extension;
    const n = SERVER_CALLS_PER_OPERATION;
    const perCall = (operation: string) => async () => {
      const start = performance.now();
      await runOperation(loaded, operation, { n }, { target: { name: 'bench' } });
      return (performance.now() - start) / n;
    };
    const exec = series('exec', perCall('execLoop'), { warmup: 2, perRound: 2 });
    const isActive = series('is-active', perCall('activeLoop'), { warmup: 2, perRound: 2 });
    const t = target;
    const sshPerCall = series('ssh per call', () => sshOnce(t), { warmup: 1, perRound: 2 });
    await interleave([exec, isActive, sshPerCall], rounds);
    return { exec: exec.samples, isActive: isActive.samples, sshPerCall: sshPerCall.samples };
  } finally {
    extension?.sandbox.dispose();
    await target?.down();
    await rm(root, { recursive: true, force: true });
  }
}

/** The baseline: a fresh ssh process per command, as Ansible without ControlPersist would. */
function sshOnce(target: Target): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${target.knownHosts}`, '-o', 'ControlMaster=no', '-o', 'ControlPath=none', '-i', target.identity, '-p', String(target.port), 'root@127.0.0.1', '/bin/true'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - start) : reject(new Error(`ssh exited ${code}`))));
  });
}
