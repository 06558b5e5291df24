import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ProvError } from '../errors/index.js';

const run = promisify(execFile);

/** How known_hosts names a host on a port. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** `type base64` pairs from known_hosts-style lines (hashed or not), comments and markers dropped. */
function keysOf(lines: string): string[] {
  const keys = new Set<string>();
  for (const line of lines.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('@')) continue;
    const fields = trimmed.split(/\s+/);
    if (fields.length >= 3 && /^(ssh-|ecdsa-|sk-)/.test(fields[1]!)) keys.add(`${fields[1]} ${fields[2]}`);
  }
  return [...keys];
}

/** The host's keys as a known_hosts file has them (`ssh-keygen -F` also finds hashed entries). */
export async function hostKeysFromFile(file: string, host: string, port: number): Promise<string[]> {
  let stdout = '';
  try {
    ({ stdout } = await run('ssh-keygen', ['-F', knownHostsName(host, port), '-f', file]));
  } catch {
    // exit 1: not found
  }
  const keys = keysOf(stdout);
  if (keys.length === 0) {
    throw new ProvError('Usage', `${file} has no key for ${knownHostsName(host, port)}`, {
      hint: 'Give --known-hosts a file with a line for this host and port, or leave it out to pin the key on first contact.',
    });
  }
  return keys;
}

/** Pins on first contact: the keys the server offers now (ssh-keyscan); checked on every later connection. */
export async function scanHostKeys(host: string, port: number): Promise<string[]> {
  let stdout = '';
  try {
    ({ stdout } = await run('ssh-keyscan', ['-T', '5', '-p', String(port), '--', host], { timeout: 15_000 }));
  } catch (error) {
    stdout = (error as { stdout?: string }).stdout ?? '';
  }
  const keys = keysOf(stdout);
  if (keys.length === 0) {
    throw new ProvError('HostCallFailed', `No SSH host key from ${host}:${port}`, {
      hint: 'Is sshd listening there? Pin the key up front with --known-hosts FILE.',
      details: { reason: 'ENOHOSTKEY' },
    });
  }
  return keys;
}
