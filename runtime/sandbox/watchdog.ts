import type ivm from 'isolated-vm';

export type BreachKind = 'timeout' | 'cpu' | 'memory';

export interface Breach {
  kind: BreachKind;
  limitMs: number;
}

/** A running operation (or an isolate after one) under watch. */
export interface Watch {
  /** Set once a limit was breached (the isolate is then being ended). */
  readonly breach: Breach | undefined;
  /** Stop watching. */
  stop(): void;
}

/** How often deadlines, CPU budgets and isolates' health are checked. */
const POLL_MS = 5;

/** What one check of a watch found: a breach, "nothing more to watch", or nothing. */
type Verdict = Breach | 'done' | undefined;

const active = new Set<(now: number) => void>();
let ticker: NodeJS.Timeout | undefined;

function tick(): void {
  if (active.size === 0) {
    // Stopped one tick after the last watch ended, so back-to-back operations share one timer.
    clearInterval(ticker);
    ticker = undefined;
    return;
  }
  const now = performance.now();
  for (const check of active) check(now);
}

/** Registers `inspect` with the process-wide ticker until it returns a verdict or the watch is stopped. */
function addWatch(inspect: (now: number) => Verdict, onBreach: (breach: Breach) => void): Watch {
  let breach: Breach | undefined;
  const check = (now: number) => {
    const verdict = inspect(now);
    if (verdict === undefined) return;
    active.delete(check);
    if (verdict === 'done') return;
    breach = verdict;
    onBreach(verdict);
  };
  active.add(check);
  ticker ??= setInterval(tick, POLL_MS);
  return {
    get breach() {
      return breach;
    },
    stop: () => active.delete(check),
  };
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
  return addWatch((now) => {
    if (isolate.isDisposed) return { kind: 'memory', limitMs: 0 };
    if (now >= deadline) return { kind: 'timeout', limitMs: limits.wallMs };
    if (checkCpu && isolate.cpuTime - cpuStart > cpuBudget) return { kind: 'cpu', limitMs: limits.cpuMs };
    return undefined;
  }, onBreach);
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
  return addWatch(() => {
    if (isolate.isDisposed) return 'done';
    const cpu = isolate.cpuTime;
    if (cpu - cpuStart > BigInt(AFTERMATH_CPU_MS) * 1_000_000n) return { kind: 'cpu', limitMs: AFTERMATH_CPU_MS };
    quietTicks = cpu === lastCpu ? quietTicks + 1 : 0;
    lastCpu = cpu;
    return quietTicks >= IDLE_TICKS ? 'done' : undefined;
  }, onRunaway);
}
