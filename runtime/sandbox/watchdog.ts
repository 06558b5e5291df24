import type ivm from 'isolated-vm';

export type BreachKind = 'timeout' | 'cpu' | 'memory';

export interface Breach {
  kind: BreachKind;
  limitMs: number;
}

/** How often the CPU budget is polled. */
const CPU_POLL_MS = 5;

/**
 * Ends an isolate that overruns its wall-clock deadline or CPU budget. The
 * isolated-vm `timeout` option only covers synchronous execution, not time
 * spent awaiting promises, so both are enforced here from the host's event
 * loop (the isolate runs on its own thread, so a spinning guest cannot stop it).
 */
export class Watchdog {
  #breach: Breach | undefined;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(isolate: ivm.Isolate, limits: { wallMs: number; cpuMs: number }, onBreach: (breach: Breach) => void) {
    const cpuStart = isolate.cpuTime;
    const cpuBudget = BigInt(limits.cpuMs) * 1_000_000n;
    const fire = (breach: Breach) => {
      if (this.#breach !== undefined) return;
      this.#breach = breach;
      this.stop();
      onBreach(breach);
    };
    this.#timers.push(setTimeout(() => fire({ kind: 'timeout', limitMs: limits.wallMs }), limits.wallMs));
    if (limits.cpuMs < limits.wallMs) {
      this.#timers.push(
        setInterval(() => {
          if (isolate.isDisposed) return;
          if (isolate.cpuTime - cpuStart > cpuBudget) fire({ kind: 'cpu', limitMs: limits.cpuMs });
        }, CPU_POLL_MS),
      );
    }
  }

  get breach(): Breach | undefined {
    return this.#breach;
  }

  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.length = 0;
  }
}
