import * as esbuild from 'esbuild';
import { buildFailure, bundleFromOutput, checkBuildInputs, extensionBuildOptions, type ExtensionBundle } from './bundle-extension.js';

/**
 * One esbuild context kept for the life of a dev session: each `rebuild`
 * reuses its set-up (plugins, resolver caches) instead of starting over,
 * which is what makes a rebuild take milliseconds. prov's own watcher
 * decides when to rebuild (esbuild's polling watch is slow to notice).
 */
export class IncrementalBundler {
  #context: esbuild.BuildContext<esbuild.BuildOptions & { write: false }> | undefined;

  constructor(
    private readonly dir: string,
    private name: string,
  ) {}

  /** The extension may be renamed in metadata.toml between builds. */
  rename(name: string): void {
    this.name = name;
  }

  async rebuild(): Promise<ExtensionBundle> {
    await checkBuildInputs(this.dir, this.name);
    try {
      this.#context ??= await esbuild.context(extensionBuildOptions(this.dir));
      const result = await this.#context.rebuild();
      return bundleFromOutput(result.outputFiles, this.dir, this.name);
    } catch (error) {
      throw buildFailure(error, this.dir, this.name);
    }
  }

  async dispose(): Promise<void> {
    const context = this.#context;
    this.#context = undefined;
    await context?.dispose();
  }
}

/**
 * Ends esbuild's service process, so it exits before prov does (and is
 * reaped by it) rather than after. For commands that end the process, such
 * as `prov dev` on Ctrl-C; a later build starts the service again.
 */
export async function stopBuildService(): Promise<void> {
  await esbuild.stop();
}
