import { makeDefinition, type ExtensionDefinition } from './extension-definition.js';
import type { Operation } from './operation.js';

/** One component of a cluster, as in the seed's `Component` schema. */
export interface ComponentSpec {
  name: string;
  /** A registered task service (default: the component's name). */
  taskserv?: string;
  type?: 'taskserv' | 'application' | 'infrastructure';
  /** Semver range of the task service. */
  version?: string;
  enabled?: boolean;
  /** Names of components that must be deployed first. */
  dependencies?: string[];
  /**
   * The task service's input for every operation prov runs for this
   * component: install, uninstall, status, upgrade, configure (scale) and
   * restart all get it, so a task service meant for clusters accepts its
   * install fields in each of them.
   */
  config?: Record<string, unknown>;
  /**
   * `replicas` is handed to the task service as `config.replicas` (unless
   * config sets it). `prov cluster scale` changes it on the server and in
   * prov's record; the next `prov cluster create` or `upgrade` brings it
   * back to the definition's count, so keep a lasting count here.
   */
  resources?: { cpu?: string; memory?: string; storage?: string; replicas?: number };
}

/**
 * Optional hooks: prov runs one after its own orchestration of the
 * operation of that name succeeded (`prov cluster create`, `delete`,
 * `scale`, `upgrade`), in the cluster's sandbox with the operator's grant for
 * it, with `ctx.target` the cluster's server and `{ cluster, operation,
 * server, components }` (the report) as input. `status` runs in `prov
 * cluster status`, with no input, and is shown beside prov's record. A hook
 * that fails fails the command; the work before it stays done.
 */
export interface ClusterHooks {
  create?: Operation<any, unknown>;
  delete?: Operation<any, unknown>;
  scale?: Operation<any, unknown>;
  upgrade?: Operation<any, unknown>;
  status?: Operation<any, unknown>;
}

export interface ClusterDefinitionInput extends ClusterHooks {
  /** The components, as data: the runtime orders, deploys and rolls them back. */
  components: readonly ComponentSpec[];
}

/**
 * Defines a cluster: a composition of task services deployed by the runtime.
 *
 * @example
 * import { defineCluster } from 'prov/sdk';
 *
 * export default defineCluster({
 *   components: [
 *     { name: 'containerd', version: '>=1.7.0' },
 *     { name: 'buildkit', version: '>=0.12.0', dependencies: ['containerd'], config: { worker_count: 4 } },
 *     { name: 'registry', version: '>=2.8.0', config: { storage_path: '/var/lib/registry' } },
 *   ],
 * });
 */
export function defineCluster(definition: ClusterDefinitionInput): ExtensionDefinition<'cluster'> {
  const { components, ...hooks } = definition;
  return makeDefinition('cluster', hooks as Record<string, Operation | undefined>, components);
}
