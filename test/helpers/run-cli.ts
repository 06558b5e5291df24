import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PROV_BIN = path.join(REPO_ROOT, 'bin', 'prov.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, when it is one JSON document. */
  json: any;
}

/** A PROV_HOME of its own for each test file, so runs never touch ~/.prov. */
const provHome = mkdtempSync(path.join(os.tmpdir(), 'prov-home-'));

/**
 * Runs the real `prov` bin in a child process, on the Node that runs the
 * tests (Node 24 from the repo's devDependency), as `npx prov` would.
 */
export function runProv(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', PROV_BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, PROV_HOME: provHome, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}
