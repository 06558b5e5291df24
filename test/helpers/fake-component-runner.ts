import type { ClusterComponent } from '../../runtime/cluster/cluster-component.ts';
import type { ComponentRunner } from '../../runtime/cluster/component-runner.ts';

/** One call the fake saw, with when it started and ended (performance.now(), ms). */
export interface FakeCall {
  action: 'install' | 'uninstall' | 'upgrade' | 'configure' | 'restart';
  /** The component's config as the call got it. */
  config?: Record<string, unknown>;
  name: string;
  start: number;
  end?: number;
  outcome?: 'ok' | 'failed' | 'aborted';
}

/**
 * A FAKE ComponentRunner: it installs nothing. It records each call with
 * timestamps and how many ran at once, waits `delays[name]` ms (default
 * 5) per call, and can be told to fail a component's install or uninstall,
 * to hang until its signal aborts, or to run a hook when a call starts (to
 * read the store mid-deploy, or to kill the process). Plain TypeScript that
 * Node can run by stripping types, so a child process uses it too.
 */
export class FakeComponentRunner implements ComponentRunner {
  readonly calls: FakeCall[] = [];
  readonly delays: Record<string, number> = {};
  readonly failInstall = new Set<string>();
  readonly failUninstall = new Set<string>();
  /** Components whose upgrade, configure or restart fails. */
  readonly failChange = new Set<string>();
  readonly hang = new Set<string>();
  onCall: ((action: FakeCall['action'], component: ClusterComponent) => void) | undefined;
  running = 0;
  maxRunning = 0;
  readonly makeError: (message: string) => Error;

  /** `makeError` builds what a told-to-fail call throws (a ProvError in tests; the child process has no runtime source to import it from). */
  constructor(makeError: (message: string) => Error = (message) => new Error(message)) {
    this.makeError = makeError;
  }

  install(component: ClusterComponent, signal: AbortSignal): Promise<void> {
    return this.#call('install', component, signal, this.failInstall);
  }

  uninstall(component: ClusterComponent, signal: AbortSignal): Promise<void> {
    return this.#call('uninstall', component, signal, this.failUninstall);
  }

  upgrade(component: ClusterComponent, signal: AbortSignal): Promise<void> {
    return this.#call('upgrade', component, signal, this.failChange);
  }

  configure(component: ClusterComponent, signal: AbortSignal): Promise<void> {
    return this.#call('configure', component, signal, this.failChange);
  }

  restart(component: ClusterComponent, signal: AbortSignal): Promise<void> {
    return this.#call('restart', component, signal, this.failChange);
  }

  async status(component: ClusterComponent): Promise<unknown> {
    return { name: component.name, installed: this.installed().includes(component.name) };
  }

  /** Names of the calls of one kind that succeeded, in the order they ended. */
  succeeded(action: FakeCall['action']): string[] {
    return this.calls.filter((call) => call.action === action && call.outcome === 'ok').sort((a, b) => a.end! - b.end!).map((call) => call.name);
  }

  /** Names in the order their calls of one kind started. */
  started(action: FakeCall['action']): string[] {
    return this.calls.filter((call) => call.action === action).map((call) => call.name);
  }

  /** What is installed now, by the fake's own account. */
  installed(): string[] {
    const installed = new Set<string>();
    for (const call of [...this.calls].filter((entry) => entry.outcome === 'ok').sort((a, b) => a.end! - b.end!)) {
      if (call.action === 'install') installed.add(call.name);
      else if (call.action === 'uninstall') installed.delete(call.name);
    }
    return [...installed].sort();
  }

  async #call(action: FakeCall['action'], component: ClusterComponent, signal: AbortSignal, fail: ReadonlySet<string>): Promise<void> {
    const call: FakeCall = { action, name: component.name, start: performance.now(), ...(component.config === undefined ? {} : { config: component.config }) };
    this.calls.push(call);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      this.onCall?.(action, component);
      if (action === 'install' && this.hang.has(component.name)) {
        await new Promise<never>((_, reject) => {
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      }
      await new Promise((resolve) => setTimeout(resolve, this.delays[component.name] ?? 5));
      if (fail.has(component.name)) throw this.makeError(`fake ${action} of ${component.name} failed`);
      call.outcome = 'ok';
    } catch (error) {
      call.outcome = signal.aborted ? 'aborted' : 'failed';
      throw error;
    } finally {
      call.end = performance.now();
      this.running--;
    }
  }
}

