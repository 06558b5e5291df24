import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PROV_BIN, REPO_ROOT } from './run-cli.js';

/**
 * A `prov dev` child process whose stderr a test can wait on, line by line
 * (like wrangler's e2e dev helper: seed files, start, edit, wait for output).
 */
export class DevSession {
  readonly child: ChildProcess;
  stderr = '';
  stdout = '';
  #seen = 0;
  #waiters: { pattern: RegExp; resolve: (text: string) => void }[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, ['--no-node-snapshot', PROV_BIN, 'dev', ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
      this.#check();
    });
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })));
  }

  /**
   * Waits for `pattern` in the output that came after the last match (so a
   * wait never matches an earlier cycle's line) and returns that output.
   */
  next(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output since the last match:\n${this.stderr.slice(this.#seen)}`)), timeoutMs);
      this.#waiters.push({ pattern, resolve: (text) => { clearTimeout(timer); resolve(text); } });
      this.#check();
    });
  }

  /** The process ids of the session's children (sandbox hosts, esbuild), now. */
  children(): number[] {
    try {
      return execFileSync('ps', ['-o', 'pid=', '--ppid', String(this.child.pid)], { encoding: 'utf8' }).split('\n').map((line) => Number(line.trim())).filter((pid) => pid > 0);
    } catch {
      return [];
    }
  }

  #check(): void {
    const waiter = this.#waiters[0];
    if (waiter === undefined) return;
    const rest = this.stderr.slice(this.#seen);
    const match = waiter.pattern.exec(rest);
    if (match === null) return;
    const end = this.#seen + match.index + match[0].length;
    const text = this.stderr.slice(this.#seen, end);
    this.#seen = end;
    this.#waiters.shift();
    waiter.resolve(text);
    this.#check();
  }
}

/** Whether a process is still running (a zombie, exited and waiting to be reaped, is not). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
