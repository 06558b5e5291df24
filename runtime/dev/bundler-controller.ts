import { IncrementalBundler } from '../build/incremental-bundler.js';
import { toProvError } from '../errors/index.js';
import type { DevEvent } from './dev-events.js';

/** Builds with one incremental esbuild context; builds run one at a time, in the order asked. */
export class BundlerController {
  readonly #bundler: IncrementalBundler;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string, name: string, private readonly dispatch: (event: DevEvent) => void) {
    this.#bundler = new IncrementalBundler(dir, name);
  }

  build(cycle: number, name: string): void {
    this.#queue = this.#queue.then(async () => {
      const started = performance.now();
      this.#bundler.rename(name);
      try {
        const bundle = await this.#bundler.rebuild();
        this.dispatch({ type: 'built', cycle, bundle, ms: performance.now() - started });
      } catch (error) {
        this.dispatch({ type: 'buildFailed', cycle, error: toProvError(error), ms: performance.now() - started });
      }
    });
  }

  async dispose(): Promise<void> {
    await this.#queue.catch(() => undefined);
    await this.#bundler.dispose();
  }
}
