import { toProvError } from '../errors/index.js';
import type { ExtensionBundle } from '../build/bundle-extension.js';
import type { ExtensionSource } from '../extension/extension-source.js';
import { loadExtension, type LoadedExtension, type LoadExtensionOptions } from '../extension/load-extension.js';
import type { LoadedManifest } from '../manifest/read-manifest.js';
import { SandboxHost } from '../sandbox/process/sandbox-host.js';
import type { DevEvent } from './dev-events.js';

/**
 * Loads each new build into a fresh sandbox, in a host process started
 * ahead of time (one is always kept ready, so a reload does not wait for a
 * process to start). The last good extension is kept until the new one has
 * loaded; then the new one replaces it and the old one is disposed.
 */
export class ReloadController {
  #spare: SandboxHost | undefined;
  #current: LoadedExtension | undefined;

  constructor(
    private readonly dir: string,
    private readonly options: LoadExtensionOptions,
    private readonly dispatch: (event: DevEvent) => void,
  ) {}

  /** The extension answering now: the last build that loaded. */
  get current(): LoadedExtension | undefined {
    return this.#current;
  }

  /** Starts the next host process now, so the next reload finds it running. */
  prepare(): void {
    if (this.options.isolation === 'in-process') return;
    if (this.#spare === undefined || !this.#spare.alive) this.#spare = SandboxHost.spawn();
  }

  load(cycle: number, bundle: ExtensionBundle, loaded: LoadedManifest): void {
    const started = performance.now();
    const source: ExtensionSource = { origin: 'directory', dir: this.dir, loaded, bundle: async () => bundle };
    let host: SandboxHost | undefined;
    if (this.options.isolation !== 'in-process') {
      this.prepare();
      host = this.#spare;
      this.#spare = undefined;
    }
    loadExtension(source, { ...this.options, ...(host === undefined ? {} : { host }) }).then(
      (extension) => this.dispatch({ type: 'loaded', cycle, extension, ms: performance.now() - started }),
      (error: unknown) => this.dispatch({ type: 'loadFailed', cycle, error: toProvError(error), ms: performance.now() - started }),
    ).finally(() => this.prepare());
  }

  /** The new extension answers from now on; the one it replaces is disposed. */
  swap(extension: LoadedExtension): LoadedExtension | undefined {
    const previous = this.#current;
    this.#current = extension;
    previous?.sandbox.dispose();
    return previous;
  }

  dispose(): void {
    this.#current?.sandbox.dispose();
    this.#current = undefined;
    this.#spare?.kill();
    this.#spare = undefined;
  }
}
