import type { ProvErrorJson } from '../errors/index.js';

/**
 * Where a component stands, as recorded in the store and reported. The
 * `-ing` states are written before the runner is called and replaced when it
 * returns, so one found after the process died marks the component that
 * was in flight.
 */
export type ComponentState =
  | 'not-started'
  | 'installing'
  | 'deployed'
  | 'failed'
  | 'rolling-back'
  | 'rolled-back'
  | 'rollback-failed'
  | 'deleting'
  | 'deleted'
  | 'delete-failed'
  | 'upgrading'
  | 'upgrade-failed'
  | 'scaling'
  | 'scale-failed'
  | 'restarting'
  | 'restart-failed';

/**
 * States in which the component may be (partly) installed: a rollback
 * undoes these. Failed installs are left out: a failed install reports its
 * own error, and undoing it is the task service's business.
 */
export const MAY_BE_INSTALLED: ReadonlySet<ComponentState> = new Set([
  'installing', 'deployed', 'rolling-back', 'rollback-failed', 'deleting', 'delete-failed',
  'upgrading', 'upgrade-failed', 'scaling', 'scale-failed', 'restarting', 'restart-failed',
]);

/** The states written before the runner is called: found after a crash, they mark what was in flight. */
export const IN_FLIGHT: ReadonlySet<ComponentState> = new Set(['installing', 'rolling-back', 'deleting', 'upgrading', 'scaling', 'restarting']);

/** One component's line in a report or a recorded status. */
export interface ComponentOutcome {
  name: string;
  /** Its wave in the deploy plan (0 first). */
  wave: number;
  state: ComponentState;
  /** Why it failed, or why its rollback or delete failed. */
  error?: ProvErrorJson;
  /** Deployed by an earlier run with the same task service, version and config, so not installed again. */
  alreadyDeployed?: boolean;
}

/** What a deploy, rollback or delete did, component by component (in plan order). */
export interface ClusterReport {
  cluster: string;
  operation: ClusterOperation;
  ok: boolean;
  components: ComponentOutcome[];
  /** Set when not ok: the first failure (ComponentFailed naming the component, or Cancelled). */
  error?: ProvErrorJson;
}

export type ClusterOperation = 'deploy' | 'rollback' | 'delete' | 'upgrade' | 'scale' | 'restart';
