/**
 * Real machines behind the emulated servers: each server is a veth target
 * (test/targets) — real systemd, real sshd on port 22 of 10.213.IDX.2,
 * which is the server's public IPv4. Like a cloud server it has
 *
 *   - its address from creation until deletion (a veth lease held across
 *     power cycles), and no IPv6 (none would reach it);
 *   - a disk: what is written survives poweroff/poweron and reboot, and
 *     goes with the server;
 *   - root's authorized_keys = the public keys of the ssh_keys named at
 *     creation, its own host key (made at creation, kept on its disk
 *     directory), and its cloud-config
 *     (hostname, users, write_files) applied at the first boot;
 *
 * and it counts as up only once systemd runs and sshd answers. Machines are
 * owned by this process: stopAll() destroys them, and if the process dies
 * first, the targets' cleaner (test/targets/owned-targets.ts) or the next
 * prune does.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { pruneTargets } from '../../targets/prune-targets.js';
import { bootMachine, downTarget, prepareDisk, releaseNetIndex, takeNetIndex, vethAddresses, type Machine, type NetIndexLease } from '../../targets/systemd-target.js';
import { cloudConfigScript, parseCloudConfig } from './cloud-config.js';
import type { MachineAccess, MachineBackend, MachineSpec } from './machine-backend.js';

export interface NspawnMachinesOptions {
  log?: (line: string) => void;
  /** How long a boot may take before the start action fails (default 60 s). */
  bootTimeoutMs?: number;
}

interface Entry {
  spec: MachineSpec;
  /** The target's name: unique across processes (pid) and within one (a counter); ≤ 12 characters for veth names. */
  name: string;
  lease: NetIndexLease;
  hostKey: string;
  hostKeyLine: string;
  knownHosts: string;
  booted: boolean;
  machine: Machine | undefined;
  /** Power changes of one machine, one after the other. */
  queue: Promise<void>;
}

const run = promisify(execFile);
let counter = 0;

export function nspawnMachines(options: NspawnMachinesOptions = {}): MachineBackend {
  const entries = new Map<number, Entry>();
  let pruned: Promise<unknown> | undefined;
  const log = options.log ?? (() => undefined);

  const entry = (serverId: number): Entry => {
    const found = entries.get(serverId);
    if (found === undefined) throw new Error(`no machine for server ${serverId}`);
    return found;
  };
  const serially = (target: Entry, work: () => Promise<void>): Promise<void> => {
    const next = target.queue.catch(() => undefined).then(work);
    target.queue = next.catch(() => undefined);
    return next;
  };

  const backend: MachineBackend = {
    real: true,
    async create(spec) {
      // What a crashed earlier run left behind goes first (once per backend).
      await (pruned ??= pruneTargets(log));
      const name = `hz${process.pid.toString(36)}-${(counter++).toString(36)}`;
      // The disk exists from creation (owned by this process, so a crash's leftovers are pruned): the host key lives beside its layers.
      const { dir } = await prepareDisk(name, true);
      const lease = await takeNetIndex();
      const hostKey = path.join(dir, 'ssh_host_ed25519_key');
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `${spec.serverName}`, '-f', hostKey]);
      const hostKeyLine = (await run('ssh-keygen', ['-y', '-f', hostKey])).stdout.trim().split(/\s+/).slice(0, 2).join(' ');
      const { machine: ip } = vethAddresses(lease.index);
      const knownHosts = path.join(dir, 'known_hosts');
      await writeFile(knownHosts, `${ip} ${hostKeyLine}\n`);
      entries.set(spec.serverId, { spec, name, lease, hostKey, hostKeyLine, knownHosts, booted: false, machine: undefined, queue: Promise.resolve() });
      return { ipv4: spec.enableIpv4 ? ip : null, ipv6: null };
    },

    powerOn(serverId) {
      const target = entry(serverId);
      return serially(target, async () => {
        if (target.machine !== undefined) return;
        const started = Date.now();
        const machine = await bootMachine(target.name, {
          network: { mode: 'veth', lease: target.lease },
          authorizedKeys: target.spec.authorizedKeys.join('\n'),
          hostKey: target.hostKey,
          disk: true,
          owned: true,
          log,
          ...(options.bootTimeoutMs === undefined ? {} : { bootTimeoutMs: options.bootTimeoutMs }),
        });
        target.machine = machine;
        if (!target.booted) {
          const script = cloudConfigScript(parseCloudConfig(target.spec.userData), target.spec.serverName);
          await machine.exec(['bash', '-c', script]);
          target.booted = true;
        }
        log(`server ${serverId} (${target.name}) up on ${machine.host} in ${Date.now() - started} ms`);
      });
    },

    powerOff(serverId) {
      const target = entry(serverId);
      return serially(target, async () => {
        if (target.machine === undefined) return;
        await downTarget(target.name);
        target.machine = undefined;
      });
    },

    destroy(serverId) {
      const target = entries.get(serverId);
      if (target === undefined) return Promise.resolve();
      return serially(target, async () => {
        await downTarget(target.name, { discardDisk: true });
        target.machine = undefined;
        await releaseNetIndex(target.lease);
        entries.delete(serverId);
      });
    },

    access(serverId): MachineAccess | undefined {
      const target = entries.get(serverId);
      if (target === undefined) return undefined;
      return {
        targetName: target.name,
        host: vethAddresses(target.lease.index).machine,
        port: 22,
        hostKey: target.hostKeyLine,
        knownHosts: target.knownHosts,
        running: target.machine !== undefined,
        exec: async (argv) => {
          if (target.machine === undefined) throw new Error(`server ${serverId} is off`);
          return target.machine.exec(argv, { allowFailure: true });
        },
      };
    },

    async stopAll() {
      const ids = [...entries.keys()];
      const results = await Promise.allSettled(ids.map((id) => backend.destroy(id)));
      const failed = results.find((result) => result.status === 'rejected');
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    },
  };
  return backend;
}
