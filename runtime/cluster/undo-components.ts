import type { ClusterComponent } from './cluster-component.js';
import type { ClusterEventListener } from './cluster-events.js';
import { componentError } from './component-error.js';
import type { ComponentRunner } from './component-runner.js';
import type { ComponentOutcome } from './component-state.js';
import type { DeploymentRecords } from './deployment-records.js';

/**
 * Uninstalls `components` one at a time, in the order given (the caller
 * passes reverse deployment order, so each goes before what it depends on).
 *
 * One at a time, not in parallel: a rollback runs because something already
 * went wrong, and a sequence is what an operator can follow and reason
 * about. A failed uninstall does not stop the rest: each component still
 * installed is one more thing the operator must clean up by hand, so prov
 * removes all it can and reports the ones it could not (rollback-failed,
 * with the error); they stay recorded as maybe installed, and
 * `rollbackDeployment` tries them again. When `signal` aborts, the
 * components not yet begun are left as they are recorded.
 */
export async function undoComponents(
  components: readonly ClusterComponent[],
  runner: ComponentRunner,
  records: DeploymentRecords,
  emit: ClusterEventListener,
  signal: AbortSignal,
): Promise<Map<string, Pick<ComponentOutcome, 'state' | 'error'>>> {
  const outcomes = new Map<string, Pick<ComponentOutcome, 'state' | 'error'>>();
  const cluster = records.cluster;
  if (components.length > 0) emit({ type: 'rollback-started', cluster, components: components.map((component) => component.name) });
  for (const component of components) {
    // Cancelled: the rest stay recorded as they are (maybe installed), for a later rollback.
    if (signal.aborted) break;
    records.set(component.name, 'rolling-back');
    emit({ type: 'component-started', cluster, component: component.name, state: 'rolling-back' });
    try {
      await runner.uninstall(component, signal);
      records.set(component.name, 'rolled-back');
      outcomes.set(component.name, { state: 'rolled-back' });
      emit({ type: 'component-finished', cluster, component: component.name, state: 'rolled-back' });
    } catch (thrown) {
      const error = componentError(thrown, signal).toJSON();
      records.set(component.name, 'rollback-failed', error);
      outcomes.set(component.name, { state: 'rollback-failed', error });
      emit({ type: 'component-finished', cluster, component: component.name, state: 'rollback-failed', error });
    }
  }
  return outcomes;
}
