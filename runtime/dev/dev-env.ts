import path from 'node:path';
import type { ExtensionBundle } from '../build/bundle-extension.js';
import { toProvError } from '../errors/index.js';
import type { LoadedExtension, LoadExtensionOptions } from '../extension/load-extension.js';
import { MANIFEST_FILE, type LoadedManifest } from '../manifest/read-manifest.js';
import { realPath } from '../state/real-path.js';
import { interfaceFindings, staticValidation } from '../validate/validate-extension.js';
import type { Finding } from '../validate/finding.js';
import { BundlerController } from './bundler-controller.js';
import type { CycleTimings, DevEvent, DevEventListener, TestSummary } from './dev-events.js';
import { isIgnoredPath, type FileWatcher, type WatchFiles } from './file-watcher.js';
import { ReloadController } from './reload-controller.js';
import { RunController, type DevRun } from './run-controller.js';

export interface DevOptions {
  dir: string;
  /** The file watcher (the CLI passes chokidar). */
  watch: WatchFiles;
  /** How the extension is loaded each cycle: grant, log, limits, environment. */
  load: LoadExtensionOptions;
  /** The operation to run after each reload. */
  run?: DevRun;
  /** Runs the extension's tests after each reload (`--test`). */
  test?: (signal: AbortSignal) => Promise<TestSummary>;
  /** Quiet time after the last change before a cycle starts; default 20 ms. */
  debounceMs?: number;
  onEvent: DevEventListener;
}

interface Cycle {
  id: number;
  paths: string[];
  /** When the first change of this cycle was seen. */
  since: number;
  abort: AbortController;
  timings: Omit<CycleTimings, 'total'>;
  manifest?: LoadedManifest;
  findings: Finding[];
}

/**
 * `prov dev` as a library: controllers on one event bus. A change starts a
 * cycle (build → validate → load → swap → run → test), every step reports
 * an event, and `dispatch` alone decides what follows. A newer change
 * cancels the cycle in flight; the last good extension keeps answering until
 * a new build has loaded, and a cycle that fails never replaces it.
 */
export class DevEnv {
  readonly dir: string;
  readonly #options: DevOptions;
  readonly #bundler: BundlerController;
  readonly #reload: ReloadController;
  readonly #runner: RunController | undefined;
  #watcher: FileWatcher | undefined;
  #cycle: Cycle | undefined;
  #next = 0;
  #pending: { paths: Set<string>; since: number; timer: NodeJS.Timeout } | undefined;
  #settled: (() => void)[] = [];
  #closed = false;
  #name: string;

  constructor(options: DevOptions) {
    this.#options = options;
    this.dir = realPath(path.resolve(options.dir));
    this.#name = path.basename(this.dir);
    const dispatch = (event: DevEvent) => this.dispatch(event);
    this.#bundler = new BundlerController(this.dir, this.#name, dispatch);
    this.#reload = new ReloadController(this.dir, options.load, dispatch);
    this.#runner = options.run === undefined ? undefined : new RunController(options.run, dispatch);
  }

  /** The extension answering now (the last build that loaded and validated). */
  get current(): LoadedExtension | undefined {
    return this.#reload.current;
  }

  /** Starts watching and runs the first cycle. */
  async start(): Promise<void> {
    this.#reload.prepare();
    this.#watcher = await this.#options.watch(this.dir, (file) => {
      const relative = path.relative(this.dir, path.resolve(this.dir, file));
      if (relative === '' || relative.startsWith('..') || isIgnoredPath(relative)) return;
      this.dispatch({ type: 'filesChanged', paths: [relative], at: performance.now() });
    });
    this.dispatch({ type: 'filesChanged', paths: [], at: performance.now() });
  }

  /** Resolves once no cycle is in flight or waiting for its debounce. */
  idle(): Promise<void> {
    if (this.#cycle === undefined && this.#pending === undefined) return Promise.resolve();
    return new Promise((resolve) => this.#settled.push(resolve));
  }

  /** The one place that decides what happens next. */
  dispatch(event: DevEvent): void {
    if (this.#closed && event.type !== 'closed') {
      if (event.type === 'loaded') event.extension.sandbox.dispose();
      return;
    }
    const bookkeeping = event.type === 'cycleStarted' || event.type === 'cycleCancelled' || event.type === 'cycleFinished';
    if ('cycle' in event && !bookkeeping && event.cycle !== this.#cycle?.id) {
      // A newer change replaced this cycle: what it produced is of no use.
      if (event.type === 'loaded') event.extension.sandbox.dispose();
      return;
    }
    this.#options.onEvent(event);
    switch (event.type) {
      case 'filesChanged':
        return this.#debounce(event.paths, event.at);
      case 'cycleStarted':
        return this.#bundler.build(event.cycle, this.#name);
      case 'built':
        return this.#validate(this.#cycle!, event.ms, event.bundle);
      case 'buildFailed':
        this.#cycle!.timings.build = event.ms;
        return this.#finish('failed', 'build');
      case 'validated': {
        const cycle = this.#cycle!;
        cycle.timings.validate = event.ms;
        if (event.findings.some((finding) => finding.severity === 'error')) return this.#finish('failed', 'validate');
        return;
      }
      case 'loaded': {
        const cycle = this.#cycle!;
        cycle.timings.load = event.ms;
        const findings = interfaceFindings(event.extension.identity.type, event.extension.sandbox.description);
        if (findings.length > 0) {
          event.extension.sandbox.dispose();
          this.dispatch({ type: 'validated', cycle: cycle.id, findings: [...cycle.findings, ...findings], ms: cycle.timings.validate ?? 0 });
          return;
        }
        const previous = this.#reload.swap(event.extension);
        return this.dispatch({ type: 'reloaded', cycle: cycle.id, extension: event.extension, ...(previous === undefined ? {} : { previous }) });
      }
      case 'loadFailed':
        this.#cycle!.timings.load = event.ms;
        return this.#finish('failed', 'load');
      case 'reloaded':
        if (this.#runner !== undefined) return this.#runner.start(event.cycle, event.extension, this.#cycle!.abort.signal);
        return this.#afterRun();
      case 'ran':
        this.#cycle!.timings.run = event.ms;
        return this.#afterRun();
      case 'tested':
        this.#cycle!.timings.test = event.ms;
        return this.#finish('reloaded');
      case 'cycleFinished':
      case 'cycleCancelled':
      case 'closed':
        return;
    }
  }

  /** Stops watching, cancels the cycle in flight, disposes every sandbox and the esbuild context. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pending !== undefined) clearTimeout(this.#pending.timer);
    this.#pending = undefined;
    this.#cycle?.abort.abort();
    this.#cycle = undefined;
    await this.#watcher?.close();
    await this.#bundler.dispose();
    this.#reload.dispose();
    this.#options.onEvent({ type: 'closed' });
    this.#wake();
  }

  #debounce(paths: string[], at: number): void {
    const pending = this.#pending;
    if (pending !== undefined) clearTimeout(pending.timer);
    const merged = new Set([...(pending?.paths ?? []), ...paths]);
    const since = pending?.since ?? at;
    this.#pending = { paths: merged, since, timer: setTimeout(() => this.#startCycle(), this.#options.debounceMs ?? 20) };
  }

  #startCycle(): void {
    const pending = this.#pending!;
    this.#pending = undefined;
    const previous = this.#cycle;
    if (previous !== undefined) {
      previous.abort.abort();
      this.#options.onEvent({ type: 'cycleCancelled', cycle: previous.id });
    }
    const cycle: Cycle = { id: ++this.#next, paths: [...pending.paths].sort(), since: pending.since, abort: new AbortController(), timings: {}, findings: [] };
    this.#cycle = cycle;
    this.dispatch({ type: 'cycleStarted', cycle: cycle.id, paths: cycle.paths });
  }

  #validate(cycle: Cycle, buildMs: number, bundle: ExtensionBundle): void {
    cycle.timings.build = buildMs;
    const started = performance.now();
    const checked = staticValidation(this.dir, this.#options.load.env === undefined ? {} : { env: this.#options.load.env });
    cycle.findings = checked.findings;
    const ms = performance.now() - started;
    if (checked.manifest !== undefined) {
      this.#name = checked.manifest.extension.name;
      cycle.manifest = { manifest: checked.manifest, file: path.join(this.dir, MANIFEST_FILE), source: checked.manifestSource! };
    }
    this.dispatch({ type: 'validated', cycle: cycle.id, findings: checked.findings, ms });
    if (this.#cycle !== cycle) return;
    if (!checked.loadable || cycle.manifest === undefined) return this.#finish('failed', 'validate');
    this.#reload.load(cycle.id, bundle, cycle.manifest);
  }

  #afterRun(): void {
    const cycle = this.#cycle!;
    if (this.#options.test === undefined) return this.#finish('reloaded');
    const started = performance.now();
    this.#options.test(cycle.abort.signal).then(
      (summary) => this.dispatch({ type: 'tested', cycle: cycle.id, summary, ms: performance.now() - started }),
      (error: unknown) => this.dispatch({ type: 'tested', cycle: cycle.id, error: toProvError(error), ms: performance.now() - started }),
    );
  }

  #finish(verdict: 'reloaded' | 'failed', stage?: 'build' | 'validate' | 'load'): void {
    const cycle = this.#cycle;
    if (cycle === undefined) return;
    this.#cycle = undefined;
    this.dispatch({
      type: 'cycleFinished', cycle: cycle.id, verdict, ...(stage === undefined ? {} : { stage }),
      timings: { ...cycle.timings, total: performance.now() - cycle.since }, paths: cycle.paths,
    });
    this.#wake();
  }

  #wake(): void {
    if (this.#cycle !== undefined || this.#pending !== undefined) return;
    for (const resolve of this.#settled.splice(0)) resolve();
  }
}
