/**
 * The tests' own ssh to a target (never prov's): strict host key checking
 * against the target's known_hosts, a key given explicitly, nothing from
 * ~/.ssh. And the cheapest sign that sshd is up: its version banner.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';

export interface SshEndpoint {
  host: string;
  port: number;
  identity: string;
  knownHosts: string;
}

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function sshArgs(endpoint: SshEndpoint, user = 'root'): string[] {
  return [
    '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${endpoint.knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null', '-o', 'IdentitiesOnly=yes', '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR',
    '-i', endpoint.identity, '-p', String(endpoint.port), `${user}@${endpoint.host}`,
  ];
}

export function sshRun(
  endpoint: SshEndpoint,
  command: string,
  options: { input?: string; allowFailure?: boolean; timeoutMs?: number; user?: string } = {},
): Promise<SshResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', [...sshArgs(endpoint, options.user), command], { stdio: ['pipe', 'pipe', 'pipe'] });
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

/** Whether something on host:port greets with an SSH version banner within timeoutMs. */
export function sshBanner(host: string, port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let seen = '';
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (seen.length >= 4) done(seen.startsWith('SSH-'));
    });
    socket.on('error', () => done(false));
    socket.on('end', () => done(false));
  });
}
