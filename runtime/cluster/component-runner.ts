import type { ClusterComponent } from './cluster-component.js';

/**
 * What deploys one component: the orchestrator decides the order, the
 * runner does the work (in prov, by calling the component's task service in
 * its sandbox; in tests, a fake). Injected so the orchestration can be
 * tested, and reused, without servers.
 *
 * `install` and `uninstall` should be idempotent: after a crash the
 * orchestrator installs again a component that was in flight, and a
 * rollback may uninstall one that was only half installed. They should
 * stop, rejecting, when `signal` aborts. What they throw is reported as the
 * component's error (a ProvError keeps its code; anything else is Internal).
 */
export interface ComponentRunner {
  install(component: ClusterComponent, signal: AbortSignal): Promise<void>;
  uninstall(component: ClusterComponent, signal: AbortSignal): Promise<void>;
  /** The component's live status as its task service reports it (for `prov cluster status`). */
  status(component: ClusterComponent): Promise<unknown>;
  /** Brings an installed component to `component`'s version and config (`prov cluster upgrade`). */
  upgrade(component: ClusterComponent, signal: AbortSignal): Promise<void>;
  /** Applies `component`'s config, e.g. a new replica count, to an installed component (`prov cluster scale`). */
  configure(component: ClusterComponent, signal: AbortSignal): Promise<void>;
  /** Restarts an installed component (`prov cluster restart-component`). */
  restart(component: ClusterComponent, signal: AbortSignal): Promise<void>;
}
