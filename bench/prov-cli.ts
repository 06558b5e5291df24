import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

export interface ProvRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Spawn → exit, ms: what an operator waits for. */
  ms: number;
}

/**
 * Runs the real `prov` bin as an operator does, in a process of its own, on
 * the Node running the bench (npm puts the repository's Node 24 first on
 * PATH), with `PROV_HOME` set to the bench's own.
 */
export function provCli(args: readonly string[], home: string): Promise<ProvRun> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', path.join(ROOT, 'bin', 'prov.mjs'), ...args], {
      env: { ...process.env, PROV_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - start }));
  });
}

/** The run's JSON document when it succeeded (`--json`), or an error carrying what prov said. */
export function okJson(run: ProvRun, what: string): any {
  let json: any;
  try {
    json = JSON.parse(run.stdout);
  } catch {
    json = undefined;
  }
  if (run.code !== 0 || json?.ok !== true) {
    throw new Error(`${what} failed (exit ${run.code}): ${json?.error ? JSON.stringify(json.error).slice(0, 2000) : run.stderr.slice(-2000)}`);
  }
  return json;
}
