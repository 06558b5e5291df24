import { createHash } from 'node:crypto';

/**
 * One component of a cluster as the orchestrator sees it: the data of the
 * SDK's `ComponentSpec` that ordering and deploying need. The runtime, not
 * the cluster's code, decides when each one is installed.
 */
export interface ClusterComponent {
  name: string;
  /** The task service that installs it (default: the component's name). */
  taskserv?: string;
  /** Semver range of the task service. */
  version?: string;
  /** Names of components of the same cluster that must be deployed first. */
  dependencies: readonly string[];
  config?: Record<string, unknown>;
}

/** What a cluster definition may hand over: `dependencies` may be left out, as in `ComponentSpec`. */
export type ClusterComponentInput = Omit<ClusterComponent, 'dependencies'> & { dependencies?: readonly string[] };

/**
 * A hash of what an install of this component does: its task service,
 * version range and config. A re-run skips a component recorded as deployed
 * only when this is unchanged, so an edited config is installed again.
 * Dependencies are left out: they change the order, not the install.
 */
export function componentHash(component: ClusterComponent): string {
  const identity = { taskserv: component.taskserv ?? component.name, version: component.version ?? null, config: component.config ?? null };
  return createHash('sha256').update(stableJson(identity)).digest('hex');
}

/** JSON with object keys sorted, so equal values hash equally whatever order the keys were written in. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${stableJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
