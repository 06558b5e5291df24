/**
 * A veth target's network: its own network namespace `pt-NAME`, holding the
 * `host0` end of a veth pair (10.213.IDX.2/30, default route via the host);
 * the host keeps the other end, also named `pt-NAME` (10.213.IDX.1/30).
 * nspawn joins the namespace with --network-namespace-path, so the network
 * is complete before the container boots and sshd listens on port 22 of an
 * address of its own, as on a real server.
 *
 * The namespace is persisted by `unshare --net=/run/netns/pt-NAME` rather
 * than `ip netns add`: the latter also turns /run/netns into a shared bind
 * mount of itself, which outlives every namespace and would be left behind.
 * `ip -n pt-NAME` and `ip netns` still see it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { vethAddresses } from './net-index-lease.ts';

const run = promisify(execFile);
const NETNS_DIR = '/run/netns';

/** Interface names have at most 15 characters, and the host's end is named like the namespace. */
export const MAX_VETH_NAME = 15 - 'pt-'.length;

export function netnsName(name: string): string {
  return `pt-${name}`;
}

export function netnsPath(name: string): string {
  return `${NETNS_DIR}/${netnsName(name)}`;
}

export async function createVethNetwork(name: string, index: number): Promise<void> {
  const ns = netnsName(name);
  const { host, machine, prefix } = vethAddresses(index);
  await mkdir(NETNS_DIR, { recursive: true });
  await writeFile(netnsPath(name), '');
  await run('unshare', [`--net=${netnsPath(name)}`, 'true']);
  await run('ip', ['link', 'add', ns, 'type', 'veth', 'peer', 'name', 'host0', 'netns', ns]);
  await run('ip', ['addr', 'add', `${host}/${prefix}`, 'dev', ns]);
  await run('ip', ['link', 'set', ns, 'up']);
  await run('ip', ['-n', ns, 'addr', 'add', `${machine}/${prefix}`, 'dev', 'host0']);
  await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  await run('ip', ['-n', ns, 'link', 'set', 'host0', 'up']);
  // Answers to anyone go back through the host (there is no forwarding beyond it: no route out).
  await run('ip', ['-n', ns, 'route', 'add', 'default', 'via', host]);
}

/**
 * Deletes the host's end (which takes the pair with it at once; a namespace
 * is freed lazily, and its veth with it) and the namespace. Idempotent.
 */
export async function removeVethNetwork(name: string): Promise<void> {
  const ns = netnsName(name);
  await run('ip', ['link', 'del', ns]).catch(() => undefined);
  if (existsSync(netnsPath(name))) {
    await run('ip', ['netns', 'del', ns]).catch(async () => {
      await run('umount', [netnsPath(name)]).catch(() => undefined);
      await rm(netnsPath(name), { force: true });
    });
  }
}
