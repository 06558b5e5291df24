import { ProvError, type ProvErrorJson } from '../errors/index.js';
import type { ClusterComponent, ClusterComponentInput } from './cluster-component.js';
import { emitter } from './cluster-events.js';
import { componentError } from './component-error.js';
import type { ComponentRunner } from './component-runner.js';
import type { ClusterReport, ComponentOutcome } from './component-state.js';
import { DEFAULT_CONCURRENCY, type ClusterOperationOptions } from './deploy-cluster.js';
import { DeploymentRecords, type RecordedComponent } from './deployment-records.js';
import { deletionWaves, planDeployment } from './deployment-plan.js';
import { runBounded } from './run-bounded.js';

/**
 * Uninstalls every component of the definition, in the deploy waves
 * reversed (each component before anything it depends on), a wave's
 * components in parallel up to `concurrency`.
 *
 * Every component is uninstalled, whatever the record says: deleting a
 * cluster asks for none of it to be left, and the record may not know of an
 * install made before it or by hand (uninstall is idempotent). When one
 * fails, the rest of its wave finishes and later waves are not started:
 * removing what a still-installed component depends on would break it, and
 * there is nothing to roll back to. Deleting again resumes.
 */
export async function deleteCluster(cluster: string, components: readonly ClusterComponentInput[], runner: ComponentRunner, options: ClusterOperationOptions = {}): Promise<ClusterReport> {
  const plan = planDeployment(components);
  const signal = options.signal ?? new AbortController().signal;
  const emit = emitter(options.onEvent);
  const records = DeploymentRecords.begin(cluster, 'delete', options.env ?? process.env, (open) => open.recordForDelete(plan), options.server);
  const outcomes = new Map<string, Pick<ComponentOutcome, 'state' | 'error'>>();
  let firstFailure: { component: string; error: ProvErrorJson } | undefined;
  const mayStart = () => firstFailure === undefined && !signal.aborted;
  try {
    const waves = deletionWaves(plan);
    emit({ type: 'operation-started', cluster, operation: 'delete', waves: waves.map((wave) => wave.map((component) => component.name)) });
    for (const [index, wave] of waves.entries()) {
      if (!mayStart()) break;
      emit({ type: 'wave-started', cluster, wave: index, components: wave.map((component) => component.name) });
      const remove = async (component: ClusterComponent): Promise<void> => {
        records.set(component.name, 'deleting');
        emit({ type: 'component-started', cluster, component: component.name, state: 'deleting' });
        try {
          await runner.uninstall(component, signal);
          records.set(component.name, 'deleted');
          outcomes.set(component.name, { state: 'deleted' });
          emit({ type: 'component-finished', cluster, component: component.name, state: 'deleted' });
        } catch (thrown) {
          const error = componentError(thrown, signal).toJSON();
          records.set(component.name, 'delete-failed', error);
          outcomes.set(component.name, { state: 'delete-failed', error });
          firstFailure ??= { component: component.name, error };
          emit({ type: 'component-finished', cluster, component: component.name, state: 'delete-failed', error });
        }
      };
      await runBounded(wave, options.concurrency ?? DEFAULT_CONCURRENCY, remove, mayStart);
    }
    const ok = firstFailure === undefined && !signal.aborted;
    const recorded = new Map(records.components().map((row): [string, RecordedComponent] => [row.name, row]));
    records.finish(ok);
    emit({ type: 'operation-finished', cluster, operation: 'delete', ok });
    return {
      cluster,
      operation: 'delete',
      ok,
      // A component not reached keeps its recorded state (deployed, most likely): it is still there.
      components: plan.waves.flatMap((wave, index) => wave.map((component) => ({ name: component.name, wave: index, ...(outcomes.get(component.name) ?? { state: recorded.get(component.name)?.state ?? 'not-started' }) }))),
      ...(ok ? {} : { error: deleteError(cluster, firstFailure).toJSON() }),
    };
  } finally {
    records.release();
  }
}

function deleteError(cluster: string, failure: { component: string; error: ProvErrorJson } | undefined): ProvError {
  if (failure === undefined || failure.error.code === 'Cancelled') {
    return new ProvError('Cancelled', `Deleting cluster "${cluster}" was cancelled`, { hint: 'Delete it again to remove the rest.' });
  }
  return new ProvError('ComponentFailed', `Deleting cluster "${cluster}" failed at component "${failure.component}": ${failure.error.message}`, {
    hint: 'What it depends on was left installed. Fix the cause and delete again.',
    details: { component: failure.component, error: failure.error },
  });
}
