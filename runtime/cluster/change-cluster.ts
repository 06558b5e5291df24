import { ProvError, type ProvErrorJson } from '../errors/index.js';
import { emitter } from './cluster-events.js';
import { componentError } from './component-error.js';
import type { ComponentRunner } from './component-runner.js';
import type { ClusterReport, ComponentOutcome, ComponentState } from './component-state.js';
import type { ComponentStep } from './component-step.js';
import type { ClusterOperationOptions } from './deploy-cluster.js';
import { DeploymentRecords } from './deployment-records.js';

/** The operations that change a deployed cluster component by component. */
export type ChangeOperation = 'upgrade' | 'scale' | 'restart';

/** What each step's task service operation is recorded as while it runs, and when it fails. */
const STATES: Record<ComponentStep['operation'], { running: ComponentState; failed: ComponentState; done: ComponentState }> = {
  install: { running: 'installing', failed: 'failed', done: 'deployed' },
  upgrade: { running: 'upgrading', failed: 'upgrade-failed', done: 'deployed' },
  configure: { running: 'scaling', failed: 'scale-failed', done: 'deployed' },
  restart: { running: 'restarting', failed: 'restart-failed', done: 'deployed' },
  uninstall: { running: 'deleting', failed: 'delete-failed', done: 'deleted' },
};

export interface ChangeClusterOptions extends ClusterOperationOptions {
  /** An upgrade's new definition in deploy order: when it succeeds, the record's deploy order becomes this one. */
  deployOrder?: readonly string[];
}

/**
 * Works through `steps` one component at a time, in the order given
 * (deploy order), on a deployed cluster: `upgrade`, `scale` and
 * `restart-component`.
 *
 * One at a time, never in parallel: these change something that is
 * running, and a rolling change keeps the rest of the cluster up while one
 * component is touched. The first failure stops it, and nothing is rolled
 * back — an upgrade or a restart has no inverse prov could trust — so the
 * report says what was changed, what failed, and what was not tried; each
 * step's state is committed before and after it, so a re-run goes on from
 * where it stopped (what is done no longer differs from the definition).
 *
 * A component's record is replaced by the step's component when the step
 * succeeds, so the record always says which version and config run.
 */
export async function changeCluster(cluster: string, operation: ChangeOperation, steps: readonly ComponentStep[], runner: ComponentRunner, options: ChangeClusterOptions = {}): Promise<ClusterReport> {
  const signal = options.signal ?? new AbortController().signal;
  const emit = emitter(options.onEvent);
  const records = DeploymentRecords.begin(cluster, operation, options.env ?? process.env, () => undefined, options.server);
  const outcomes: ComponentOutcome[] = [];
  let failure: { component: string; error: ProvErrorJson } | undefined;
  try {
    emit({ type: 'operation-started', cluster, operation, waves: steps.map((step) => [step.component.name]) });
    for (const step of steps) {
      const { component, wave } = step;
      const states = STATES[step.operation];
      if (failure !== undefined || signal.aborted) {
        outcomes.push({ name: component.name, wave, state: 'not-started' });
        continue;
      }
      // An install may be of a component the record does not know yet (an upgrade added it): it gets its row now.
      if (step.operation === 'install') records.replace(component, wave, states.running, 'clear');
      else records.set(component.name, states.running);
      emit({ type: 'component-started', cluster, component: component.name, state: states.running });
      try {
        await runOne(runner, step, signal);
        if (step.operation === 'uninstall') records.set(component.name, states.done);
        else records.replace(component, wave, states.done, step.operation === 'install' ? 'next' : 'keep');
        outcomes.push({ name: component.name, wave, state: states.done });
        emit({ type: 'component-finished', cluster, component: component.name, state: states.done });
      } catch (thrown) {
        const error = componentError(thrown, signal).toJSON();
        records.set(component.name, states.failed, error);
        outcomes.push({ name: component.name, wave, state: states.failed, error });
        failure = { component: component.name, error };
        emit({ type: 'component-finished', cluster, component: component.name, state: states.failed, error });
      }
    }
    const ok = failure === undefined && !signal.aborted;
    // The deploy order a rollback reverses: the new definition's, once it is all in place.
    if (ok && options.deployOrder !== undefined) records.renumber(options.deployOrder);
    records.finish(ok);
    emit({ type: 'operation-finished', cluster, operation, ok });
    return { cluster, operation, ok, components: outcomes, ...(ok ? {} : { error: changeError(cluster, operation, failure, outcomes).toJSON() }) };
  } finally {
    records.release();
  }
}

function runOne(runner: ComponentRunner, step: ComponentStep, signal: AbortSignal): Promise<void> {
  switch (step.operation) {
    case 'install': return runner.install(step.component, signal);
    case 'upgrade': return runner.upgrade(step.component, signal);
    case 'configure': return runner.configure(step.component, signal);
    case 'restart': return runner.restart(step.component, signal);
    case 'uninstall': return runner.uninstall(step.component, signal);
  }
}

function changeError(cluster: string, operation: ChangeOperation, failure: { component: string; error: ProvErrorJson } | undefined, outcomes: readonly ComponentOutcome[]): ProvError {
  const done = outcomes.filter((outcome) => outcome.state === 'deployed' || outcome.state === 'deleted').map((outcome) => outcome.name);
  const untried = outcomes.filter((outcome) => outcome.state === 'not-started').map((outcome) => outcome.name);
  const summary = `${done.length === 0 ? 'no component was changed' : `changed before it: ${done.join(', ')}`}; ${untried.length === 0 ? 'none left untried' : `not tried: ${untried.join(', ')}`}`;
  const verb = operation === 'restart' ? 'Restarting a component of' : `${operation[0]!.toUpperCase()}${operation.slice(1).replace(/e$/, '')}ing`;
  if (failure === undefined || failure.error.code === 'Cancelled') {
    return new ProvError('Cancelled', `${verb} cluster "${cluster}" was cancelled; ${summary}`, { hint: 'Run it again to go on: what is done is not done again.' });
  }
  return new ProvError('ComponentFailed', `${verb} cluster "${cluster}" failed at component "${failure.component}": ${failure.error.message}; ${summary}`, {
    hint: 'Nothing was rolled back. Fix the cause and run it again: components already changed are not changed again.',
    details: { component: failure.component, error: failure.error, changed: done, not_tried: untried },
  });
}
