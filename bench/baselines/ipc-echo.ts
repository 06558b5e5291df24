import { fork, type ChildProcess, type Serializable } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD_SCRIPT = fileURLToPath(new URL('./ipc-echo-child.mjs', import.meta.url));

/**
 * Decomposition of the Sandbox's warm call: one request/reply over Node's IPC
 * channel to a forked echo child, with messages shaped like prov's `call`
 * and its reply, and the same serialization. What a Sandbox call costs on
 * top of this (and of the IsolateSandbox call the host makes) is prov's own
 * code on both sides of the channel.
 */
export class IpcEchoBaseline {
  readonly #child: ChildProcess;
  readonly #waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  #nextId = 1;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (message: { id: number }) => {
      const waiting = this.#waiting.get(message.id);
      this.#waiting.delete(message.id);
      waiting?.resolve();
    });
    child.on('exit', (code, signal) => {
      for (const waiting of this.#waiting.values()) waiting.reject(new Error(`the IPC echo child ended (${signal ?? code})`));
      this.#waiting.clear();
    });
  }

  static async start(serialization: 'advanced' | 'json'): Promise<IpcEchoBaseline> {
    const child = fork(CHILD_SCRIPT, [], {
      serialization,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_OPTIONS')),
      execArgv: [],
    });
    const echo = new IpcEchoBaseline(child);
    await echo.roundTrip(); // up and answering
    return echo;
  }

  /** One request → reply. */
  roundTrip(): Promise<void> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      // Sent like SandboxHost.request sends: no callback.
      this.#child.send({ type: 'call', id, operation: 'noop', inputJson: undefined, check: false, target: null } as Serializable);
    });
  }

  /** Ends the child and waits for its exit. */
  stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.#child.once('exit', () => resolve());
      this.#child.kill('SIGKILL');
    });
  }
}
