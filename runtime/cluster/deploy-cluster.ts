import { ProvError, type ProvErrorJson } from '../errors/index.js';
import type { ClusterComponent, ClusterComponentInput } from './cluster-component.js';
import { emitter, type ClusterEventListener } from './cluster-events.js';
import { componentError } from './component-error.js';
import type { ComponentRunner } from './component-runner.js';
import type { ClusterReport, ComponentOutcome } from './component-state.js';
import { DeploymentRecords } from './deployment-records.js';
import { planDeployment } from './deployment-plan.js';
import { runBounded } from './run-bounded.js';
import { undoComponents } from './undo-components.js';

export interface ClusterOperationOptions {
  /** How many components of a wave are worked on at once (default 4). */
  concurrency?: number;
  /** Cancels the operation (Ctrl-C): components in flight are told through their signal, none is started after. */
  signal?: AbortSignal;
  /** Progress, for a display. */
  onEvent?: ClusterEventListener;
  /** Where the store is ($PROV_HOME). */
  env?: NodeJS.ProcessEnv;
  /** The inventory server it runs on, recorded with the deployment. */
  server?: string;
}

export interface DeployClusterOptions extends ClusterOperationOptions {
  /**
   * Skip components an earlier run recorded as deployed with the same task
   * service, version and config (default true): a deploy killed halfway is
   * finished by running it again. False installs every component again.
   */
  resume?: boolean;
}

export const DEFAULT_CONCURRENCY = 4;

/**
 * Deploys a cluster's components in the plan's order: wave by wave, the
 * components of a wave in parallel (at most `concurrency` at once, started
 * in name order).
 *
 * When a component fails, no other one is started, but the ones already
 * installing are left to finish rather than aborted: an install cut off
 * halfway leaves a server in a state nobody described, one that finishes
 * leaves one its uninstall knows how to undo. Then everything this run
 * deployed is rolled back, one at a time in reverse order of deployment.
 * Components an earlier run deployed (skipped here) stay deployed: a
 * failed re-deploy of a changed component must not tear down a working
 * cluster; `rollbackDeployment` removes them when that is what is wanted.
 *
 * Cancelling (`signal`) aborts the installs in flight and then rolls back
 * like a failure. The rollback itself is not cancelled by that signal (it
 * has already fired): a second interrupt that kills the process leaves the
 * record saying what is still deployed, and `rollbackDeployment` finishes
 * the job.
 *
 * Each component's state is committed to the store before its install
 * starts and when it ends, so a process killed mid-deploy leaves a record
 * `deploymentStatus` explains, and running this again resumes it.
 *
 * Returns the report (not ok when a component failed or it was cancelled);
 * throws ClusterInvalid for components that cannot be ordered and
 * ClusterBusy when another operation on the cluster is running.
 */
export async function deployCluster(cluster: string, components: readonly ClusterComponentInput[], runner: ComponentRunner, options: DeployClusterOptions = {}): Promise<ClusterReport> {
  const plan = planDeployment(components);
  const signal = options.signal ?? new AbortController().signal;
  const emit = emitter(options.onEvent);
  let alreadyDeployed = new Set<string>();
  const records = DeploymentRecords.begin(cluster, 'deploy', options.env ?? process.env, (open) => {
    alreadyDeployed = open.resetForDeploy(plan, options.resume ?? true);
  }, options.server);

  const outcomes = new Map<string, Pick<ComponentOutcome, 'state' | 'error'>>();
  const deployedNow: ClusterComponent[] = [];
  let firstFailure: { component: string; error: ProvErrorJson } | undefined;
  const mayStart = () => firstFailure === undefined && !signal.aborted;

  try {
    emit({ type: 'operation-started', cluster, operation: 'deploy', waves: plan.waves.map((wave) => wave.map((component) => component.name)) });
    for (const [index, wave] of plan.waves.entries()) {
      if (!mayStart()) break;
      emit({ type: 'wave-started', cluster, wave: index, components: wave.map((component) => component.name) });
      for (const component of wave.filter((component) => alreadyDeployed.has(component.name))) {
        emit({ type: 'component-skipped', cluster, component: component.name, reason: 'already-deployed' });
      }
      const install = async (component: ClusterComponent): Promise<void> => {
        records.set(component.name, 'installing');
        emit({ type: 'component-started', cluster, component: component.name, state: 'installing' });
        try {
          await runner.install(component, signal);
          records.set(component.name, 'deployed');
          deployedNow.push(component);
          outcomes.set(component.name, { state: 'deployed' });
          emit({ type: 'component-finished', cluster, component: component.name, state: 'deployed' });
        } catch (thrown) {
          const error = componentError(thrown, signal).toJSON();
          records.set(component.name, 'failed', error);
          outcomes.set(component.name, { state: 'failed', error });
          firstFailure ??= { component: component.name, error };
          emit({ type: 'component-finished', cluster, component: component.name, state: 'failed', error });
        }
      };
      await runBounded(wave.filter((component) => !alreadyDeployed.has(component.name)), options.concurrency ?? DEFAULT_CONCURRENCY, install, mayStart);
    }

    const ok = firstFailure === undefined && !signal.aborted;
    if (!ok) {
      const rolledBack = await undoComponents([...deployedNow].reverse(), runner, records, emit, new AbortController().signal);
      for (const [name, outcome] of rolledBack) outcomes.set(name, outcome);
    }
    const report: ClusterReport = {
      cluster,
      operation: 'deploy',
      ok,
      components: plan.waves.flatMap((wave, index) =>
        wave.map((component) => ({
          name: component.name,
          wave: index,
          ...(outcomes.get(component.name) ?? { state: alreadyDeployed.has(component.name) ? 'deployed' : 'not-started' }),
          ...(alreadyDeployed.has(component.name) ? { alreadyDeployed: true } : {}),
        })),
      ),
      ...(ok ? {} : { error: failureError(cluster, firstFailure, [...outcomes.values()]).toJSON() }),
    };
    records.finish(ok);
    emit({ type: 'operation-finished', cluster, operation: 'deploy', ok });
    return report;
  } finally {
    records.release();
  }
}

function failureError(cluster: string, failure: { component: string; error: ProvErrorJson } | undefined, outcomes: Pick<ComponentOutcome, 'state'>[]): ProvError {
  const rolledBack = outcomes.filter((outcome) => outcome.state === 'rolled-back').length;
  const stuck = outcomes.filter((outcome) => outcome.state === 'rollback-failed').length;
  const undone = rolledBack + stuck === 0
    ? 'nothing needed rolling back'
    : `${rolledBack} deployed component${rolledBack === 1 ? ' was' : 's were'} rolled back${stuck === 0 ? '' : `, ${stuck} could not be`}`;
  if (failure === undefined || failure.error.code === 'Cancelled') {
    return new ProvError('Cancelled', `Deploying cluster "${cluster}" was cancelled; ${undone}`, {
      hint: 'See each component\'s state in the report; run the deploy again to resume it.',
    });
  }
  return new ProvError('ComponentFailed', `Deploying cluster "${cluster}" failed at component "${failure.component}": ${failure.error.message}; ${undone}`, {
    hint: 'Fix the cause and deploy again: components still deployed are not installed again.',
    details: { component: failure.component, error: failure.error },
  });
}
