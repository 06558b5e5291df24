import { ProvError } from '../errors/index.js';
import { emitter } from './cluster-events.js';
import type { ComponentRunner } from './component-runner.js';
import { MAY_BE_INSTALLED, type ClusterReport } from './component-state.js';
import type { ClusterOperationOptions } from './deploy-cluster.js';
import { DeploymentRecords, type RecordedComponent } from './deployment-records.js';
import { undoComponents } from './undo-components.js';

/**
 * Undoes what the record says may be installed on `cluster`: what earlier
 * deploys completed, in reverse order of completion, after whatever was in
 * flight when a process died (nothing can depend on an in-flight component:
 * its dependents had not started). Works from the record alone, so it
 * needs no cluster definition: each row keeps the component it uninstalls.
 *
 * Throws ClusterNotDeployed when nothing is recorded for the cluster,
 * ClusterBusy while another operation runs on it.
 */
export async function rollbackDeployment(cluster: string, runner: ComponentRunner, options: Omit<ClusterOperationOptions, 'concurrency'> = {}): Promise<ClusterReport> {
  const env = options.env ?? process.env;
  if (DeploymentRecords.read(cluster, env) === undefined) {
    throw new ProvError('ClusterNotDeployed', `No deployment of cluster "${cluster}" is recorded`, { hint: 'Nothing to roll back.' });
  }
  const emit = emitter(options.onEvent);
  let recorded: RecordedComponent[] = [];
  const records = DeploymentRecords.begin(cluster, 'rollback', env, (open) => {
    recorded = open.components();
  });
  try {
    emit({ type: 'operation-started', cluster, operation: 'rollback', waves: [] });
    const undo = recorded.filter((row) => MAY_BE_INSTALLED.has(row.state)).sort(reverseDeployOrder);
    const outcomes = await undoComponents(undo.map((row) => row.component), runner, records, emit, options.signal ?? new AbortController().signal);
    const components = recorded.map((row) => ({ name: row.name, wave: row.wave, state: row.state, ...(row.error === undefined ? {} : { error: row.error }), ...outcomes.get(row.name) }));
    const stuck = components.filter((component) => MAY_BE_INSTALLED.has(component.state)).map((component) => component.name);
    const ok = stuck.length === 0;
    records.finish(ok);
    emit({ type: 'operation-finished', cluster, operation: 'rollback', ok });
    return {
      cluster,
      operation: 'rollback',
      ok,
      components,
      ...(ok
        ? {}
        : {
            error: new ProvError(options.signal?.aborted ? 'Cancelled' : 'ComponentFailed', `Rolling back cluster "${cluster}" left ${stuck.map((name) => `"${name}"`).join(', ')} installed`, {
              hint: 'Fix the cause and roll back again: components already removed are not touched again.',
              details: { components: stuck },
            }).toJSON(),
          }),
    };
  } finally {
    records.release();
  }
}

/** In flight first (no completion number), then the last deployed first. */
function reverseDeployOrder(a: RecordedComponent, b: RecordedComponent): number {
  return (b.deployedSeq ?? Infinity) - (a.deployedSeq ?? Infinity) || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
}
