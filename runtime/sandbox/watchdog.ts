import type ivm from 'isolated-vm';

export type BreachKind = 'timeout' | 'cpu' | 'memory';

export interface Breach {
  kind: BreachKind;
  limitMs: number;
}

/** A running operation under watch. */
export interface Watch {
  /** Set once a limit was breached (the isolate is then being ended). */
  readonly breach: Breach | undefined;
  /** The operation ended: stop watching it. */
  stop(): void;
}

/** How often deadlines, CPU budgets and isolates' health are checked. */
const POLL_MS = 5;

interface WatchState extends Watch {
  check(now: number): void;
}

const active = new Set<WatchState>();
let ticker: NodeJS.Timeout | undefined;

function tick(): void {
  if (active.size === 0) {
    // Stopped one tick after the last operation ended, so back-to-back operations share one timer.
    clearInterval(ticker);
    ticker = undefined;
    return;
  }
  const now = performance.now();
  for (const state of active) state.check(now);
}

/**
 * Watches one operation (or a load): ends an isolate that overruns its
 * wall-clock deadline or CPU budget, and notices one that isolated-vm ended
 * for outgrowing its memory limit. The isolated-vm `timeout` option only
 * covers synchronous execution, not time spent awaiting promises, so limits
 * are enforced here from the host's event loop; the isolate runs on its own
 * thread, so a spinning guest cannot stop it. One process-wide timer serves
 * every watch: starting and stopping a watch costs no timer of its own.
 */
export function watch(isolate: ivm.Isolate, limits: { wallMs: number; cpuMs: number }, onBreach: (breach: Breach) => void): Watch {
  const deadline = performance.now() + limits.wallMs;
  const checkCpu = limits.cpuMs < limits.wallMs;
  const cpuStart = checkCpu ? isolate.cpuTime : 0n;
  const cpuBudget = BigInt(limits.cpuMs) * 1_000_000n;
  let breach: Breach | undefined;
  const state: WatchState = {
    get breach() {
      return breach;
    },
    stop() {
      active.delete(state);
    },
    check(now) {
      if (breach !== undefined) return;
      if (isolate.isDisposed) breach = { kind: 'memory', limitMs: 0 };
      else if (now >= deadline) breach = { kind: 'timeout', limitMs: limits.wallMs };
      else if (checkCpu && isolate.cpuTime - cpuStart > cpuBudget) breach = { kind: 'cpu', limitMs: limits.cpuMs };
      else return;
      active.delete(state);
      onBreach(breach);
    },
  };
  active.add(state);
  ticker ??= setInterval(tick, POLL_MS);
  return state;
}

/** CPU an isolate may still use after its operation ended (trailing promise callbacks) before it counts as a runaway. */
const AFTERMATH_CPU_MS = 50;
/** Ticks without CPU growth after which an isolate counts as idle and is no longer watched. */
const IDLE_TICKS = 3;

/**
 * Watches an isolate after its operation ended. A guest has no timers, so
 * once its operation settled nothing should run there; a promise loop left
 * behind (`(async () => { for (;;) await null; })()`) would burn a core and
 * block the next call. Past AFTERMATH_CPU_MS of CPU, `onRunaway` ends it.
 */
export function watchAftermath(isolate: ivm.Isolate, onRunaway: () => void): Watch {
  if (isolate.isDisposed) return { breach: undefined, stop() {} };
  const cpuStart = isolate.cpuTime;
  let lastCpu = cpuStart;
  let quietTicks = 0;
  let breach: Breach | undefined;
  const state: WatchState = {
    get breach() {
      return breach;
    },
    stop() {
      active.delete(state);
    },
    check() {
      if (isolate.isDisposed) {
        active.delete(state);
        return;
      }
      const cpu = isolate.cpuTime;
      if (cpu - cpuStart > BigInt(AFTERMATH_CPU_MS) * 1_000_000n) {
        breach = { kind: 'cpu', limitMs: AFTERMATH_CPU_MS };
        active.delete(state);
        onRunaway();
        return;
      }
      quietTicks = cpu === lastCpu ? quietTicks + 1 : 0;
      lastCpu = cpu;
      if (quietTicks >= IDLE_TICKS) active.delete(state);
    },
  };
  active.add(state);
  ticker ??= setInterval(tick, POLL_MS);
  return state;
}
