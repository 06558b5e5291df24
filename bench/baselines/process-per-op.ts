import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Subject, OperationCall } from '../subject.js';

const CHILD_SCRIPT = fileURLToPath(new URL('./process-child.mjs', import.meta.url));

/** The bench's environment without NODE_OPTIONS: flags meant for the bench process must not slow the child. */
const CHILD_ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_OPTIONS'));

/**
 * Baseline (1): isolation by process. Every operation starts a fresh `node`
 * (the one running the bench), which reads the same bundle from a file,
 * evaluates it and calls the operation with a fake ctx (fake-host.mjs). One
 * sample is spawn → the result line arriving on stdout; the process exit
 * that follows is waited for but not timed.
 */
export class ProcessPerOpBaseline {
  readonly #subject: Subject;
  readonly #bundleFile: string;
  readonly #tempDir: string;

  private constructor(subject: Subject, tempDir: string) {
    this.#subject = subject;
    this.#tempDir = tempDir;
    this.#bundleFile = path.join(tempDir, 'extension.js');
  }

  static async create(subject: Subject): Promise<ProcessPerOpBaseline> {
    const baseline = new ProcessPerOpBaseline(subject, await mkdtemp(path.join(os.tmpdir(), 'prov-bench-proc-')));
    await writeFile(baseline.#bundleFile, subject.bundle.code);
    return baseline;
  }

  /** Runs one operation in a new process; resolves with the time to its result and the result. */
  run(call: OperationCall): Promise<{ ms: number; result: unknown }> {
    const args = [
      CHILD_SCRIPT,
      this.#bundleFile,
      call.operation,
      call.input === undefined ? '' : JSON.stringify(call.input),
      JSON.stringify(this.#subject.identity),
    ];
    return new Promise((resolve, reject) => {
      const start = performance.now();
      let resultAt: number | undefined;
      let stdout = '';
      let stderr = '';
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: CHILD_ENV });
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk;
        if (resultAt === undefined && stdout.includes('\n')) resultAt = performance.now();
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk;
      });
      child.on('error', reject);
      child.on('close', (code) => {
        if (code !== 0 || resultAt === undefined) {
          reject(new Error(`process-per-op child exited with ${code}: ${stderr.trim() || '(no stderr)'}`));
          return;
        }
        resolve({ ms: resultAt - start, result: JSON.parse(stdout) as unknown });
      });
    });
  }

  cleanup(): Promise<void> {
    return rm(this.#tempDir, { recursive: true, force: true });
  }
}
