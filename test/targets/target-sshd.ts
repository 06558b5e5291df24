/**
 * What sshd in a target is given: its drop-in config (port 22 on every
 * address in veth mode, 127.0.0.1:PORT in host mode; keys only), root's
 * authorized_keys, its host key (the cached root's, shared by every target,
 * or one of the target's own), and the known_hosts line that pins it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { DiskLayout } from './target-disk.ts';

const run = promisify(execFile);

export interface SshdSetup {
  /** nspawn --bind-ro= arguments. */
  binds: string[];
  hostKey: string;
  knownHosts: string;
}

export async function prepareSshd(dir: string, options: {
  root: string;
  host: string;
  /** 22 in veth mode; the port on 127.0.0.1 in host mode. */
  port: number;
  hostMode: boolean;
  authorizedKeys: string;
  hostKeyFile?: string;
  disk?: DiskLayout;
}): Promise<SshdSetup> {
  const binds: string[] = [];
  const config = ['PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UseDNS no', 'MaxSessions 64', 'MaxStartups 64:30:128'];
  if (options.hostMode) config.unshift(`Port ${options.port}`, 'ListenAddress 127.0.0.1');

  const authorizedKeys = path.join(dir, 'authorized_keys');
  await writeFile(authorizedKeys, options.authorizedKeys === '' || options.authorizedKeys.endsWith('\n') ? options.authorizedKeys : `${options.authorizedKeys}\n`, { mode: 0o600 });
  // On a disk the keys are installed once, before its first boot, and are the machine's own file from then on (as a
  // cloud's first boot writes them); without a disk they are bound in read-only at every boot.
  if (options.disk === undefined) binds.push(`--bind-ro=${authorizedKeys}:/root/.ssh/authorized_keys`);
  else await installOnFreshDisk(options.disk, authorizedKeys);

  let hostKey: string;
  if (options.hostKeyFile !== undefined) {
    await chmod(options.hostKeyFile, 0o600);
    config.unshift('HostKey /etc/ssh/prov_host_key');
    binds.push(`--bind-ro=${options.hostKeyFile}:/etc/ssh/prov_host_key`);
    hostKey = (await run('ssh-keygen', ['-y', '-f', options.hostKeyFile])).stdout;
  } else {
    hostKey = await readFile(path.join(options.root, 'etc', 'ssh', 'ssh_host_ed25519_key.pub'), 'utf8');
  }
  hostKey = hostKey.trim().split(/\s+/).slice(0, 2).join(' ');

  const sshdConf = path.join(dir, 'sshd.conf');
  await writeFile(sshdConf, `${config.join('\n')}\n`);
  binds.push(`--bind-ro=${sshdConf}:/etc/ssh/sshd_config.d/50-prov-target.conf`);
  const knownHosts = path.join(dir, 'known_hosts');
  await writeFile(knownHosts, `${options.port === 22 ? options.host : `[${options.host}]:${options.port}`} ${hostKey}\n`);
  return { binds, hostKey, knownHosts };
}

/** Writes root's authorized_keys into a disk's writable layer before its first boot (overlayfs allows that while unmounted). */
async function installOnFreshDisk(disk: DiskLayout, authorizedKeysFile: string): Promise<void> {
  const marker = path.join(disk.dir, '.keys-installed');
  if (existsSync(marker)) return;
  const sshDir = path.join(disk.upper, 'root', '.ssh');
  await mkdir(sshDir, { recursive: true });
  await chmod(path.join(disk.upper, 'root'), 0o700);
  await chmod(sshDir, 0o700);
  await copyFile(authorizedKeysFile, path.join(sshDir, 'authorized_keys'));
  await chmod(path.join(sshDir, 'authorized_keys'), 0o600);
  await writeFile(marker, '');
}
