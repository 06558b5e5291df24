/**
 * Targets this process owns (booted with `owned: true`, e.g. an emulated
 * cloud's servers) must not outlive it, even when it dies without cleaning
 * up: a test that throws past its afterAll, a worker that exits or is
 * interrupted. While it owns any, a cleaner is started when the process
 * ends (exit, or SIGINT/SIGTERM/SIGHUP): a detached `cli.ts prune --after
 * PID` that waits for this pid to be gone, then ends the targets whose owner
 * is gone. A SIGKILLed process leaves them to the next prune (which
 * emulators run when they start).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const owned = new Set<string>();
const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let hooked = false;
let cleanerStarted = false;

export function noteOwned(name: string): void {
  owned.add(name);
  if (hooked) return;
  hooked = true;
  process.on('exit', startCleaner);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

export function forgetOwned(name: string): void {
  owned.delete(name);
}

function startCleaner(): void {
  if (owned.size === 0 || cleanerStarted) return;
  cleanerStarted = true;
  // spawn() forks synchronously, so this works inside an 'exit' handler.
  spawn(process.execPath, [CLI, 'prune', '--after', String(process.pid)], { detached: true, stdio: 'ignore' }).unref();
}

/** Starts the cleaner, then lets the signal do what it would have done without this listener. */
function onSignal(signal: NodeJS.Signals): void {
  startCleaner();
  if (process.listenerCount(signal) > 1) return; // someone else handles it
  process.removeListener(signal, onSignal);
  process.kill(process.pid, signal);
}
