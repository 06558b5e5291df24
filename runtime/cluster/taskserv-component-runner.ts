import semver from 'semver';
import type { Target } from '../../host-api/sdk/context.js';
import type { PlainValue } from '../data/plain-data.js';
import type { OperationResult } from '../sandbox/operation-result.js';
import { toPlainData } from '../data/plain-data.js';
import { ProvError } from '../errors/index.js';
import type { LoadedExtension } from '../extension/load-extension.js';
import { runOperation } from '../run/run-operation.js';
import type { ClusterComponent } from './cluster-component.js';
import type { ComponentRunner } from './component-runner.js';

/** The task service operations a cluster's orchestration calls; each gets the component's `config` as its input. */
export type ComponentOperation = 'install' | 'uninstall' | 'status' | 'upgrade' | 'configure' | 'restart';

export interface TaskservRunnerOptions {
  /**
   * Loads a task service by name into a sandbox of its own, with its own
   * grant (the CLI resolves the registered extension and the operator's
   * policy for it). The runner disposes what it gets after each call.
   */
  load: (taskserv: string) => Promise<LoadedExtension>;
  /** The server the components are installed on (`ctx.target`). */
  target: Target;
}

/**
 * The runner prov deploys clusters with: each component's task service
 * (`taskserv`, default the component's name) runs in a sandbox of its own,
 * with its own grant, on the target server; every operation (install,
 * uninstall, status, upgrade, configure, restart) gets the component's
 * `config` as its input, so a task service written for clusters accepts its
 * install fields in each of them. A task service whose
 * version is outside the component's range is refused before it runs.
 */
export class TaskservComponentRunner implements ComponentRunner {
  constructor(private readonly options: TaskservRunnerOptions) {}

  install(component: ClusterComponent, signal: AbortSignal): Promise<void> {
    return this.#call(component, 'install', signal).then(() => undefined);
  }

  uninstall(component: ClusterComponent, signal: AbortSignal): Promise<void> {
    return this.#call(component, 'uninstall', signal).then(() => undefined);
  }

  status(component: ClusterComponent): Promise<unknown> {
    return this.#call(component, 'status', new AbortController().signal);
  }

  upgrade(component: ClusterComponent, signal: AbortSignal): Promise<void> {
    return this.#call(component, 'upgrade', signal).then(() => undefined);
  }

  configure(component: ClusterComponent, signal: AbortSignal): Promise<void> {
    return this.#call(component, 'configure', signal).then(() => undefined);
  }

  restart(component: ClusterComponent, signal: AbortSignal): Promise<void> {
    return this.#call(component, 'restart', signal).then(() => undefined);
  }

  /** The operation in check mode: what it would do (its plan), nothing done. */
  plan(component: ClusterComponent, operation: ComponentOperation): Promise<OperationResult> {
    return this.#run(component, operation, new AbortController().signal, true);
  }

  async #call(component: ClusterComponent, operation: ComponentOperation, signal: AbortSignal): Promise<PlainValue> {
    return (await this.#run(component, operation, signal, false)).result;
  }

  async #run(component: ClusterComponent, operation: ComponentOperation, signal: AbortSignal, check: boolean): Promise<OperationResult> {
    const name = component.taskserv ?? component.name;
    const extension = await this.options.load(name);
    try {
      const { type, version } = extension.identity;
      if (type !== 'taskserv') {
        throw new ProvError('Usage', `Component "${component.name}" names ${name}, a ${type}, not a task service`, { hint: 'A component\'s taskserv must be a registered task service.' });
      }
      if (component.version !== undefined && !semver.satisfies(version, component.version)) {
        throw new ProvError('Usage', `Component "${component.name}" needs ${name} ${component.version}; ${version} is registered`, {
          hint: `Register a ${name} in that range (prov register <dir>), or change the component's version range.`,
        });
      }
      const input = component.config === undefined ? undefined : toPlainData(component.config);
      return await runOperation(extension, operation, input, { signal, check, target: this.options.target });
    } finally {
      extension.sandbox.dispose();
    }
  }
}
