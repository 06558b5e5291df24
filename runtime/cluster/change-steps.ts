import { ProvError } from '../errors/index.js';
import { componentHash, type ClusterComponent, type ClusterComponentInput } from './cluster-component.js';
import { MAY_BE_INSTALLED } from './component-state.js';
import type { ComponentStep } from './component-step.js';
import { planDeployment } from './deployment-plan.js';
import type { DeploymentStatus, RecordedComponent } from './deployment-records.js';

/**
 * `prov cluster upgrade`: what it takes to bring the recorded deployment to
 * the cluster's definition as it is now (typically a newly registered
 * version of the cluster), in deploy order:
 *   - a component recorded as installed whose task service, version range
 *     or config changed is upgraded (its task service's `upgrade`);
 *   - one the definition added, or whose install never completed, is installed;
 *   - one recorded as deployed with the same definition is left alone;
 *   - one the definition dropped is uninstalled, last, in reverse deploy order.
 */
export function upgradeSteps(components: readonly ClusterComponentInput[], status: DeploymentStatus): ComponentStep[] {
  const plan = planDeployment(components);
  const recorded = new Map(status.components.map((row) => [row.name, row]));
  const steps: ComponentStep[] = [];
  plan.waves.forEach((wave, index) => {
    for (const component of wave) {
      const row = recorded.get(component.name);
      if (row?.state === 'deployed' && row.configHash === componentHash(component)) continue;
      const installed = row !== undefined && MAY_BE_INSTALLED.has(row.state) && row.state !== 'installing';
      steps.push({ component, wave: index, operation: installed ? 'upgrade' : 'install' });
    }
  });
  const declared = new Set(plan.waves.flat().map((component) => component.name));
  const dropped = status.components
    .filter((row) => !declared.has(row.name) && MAY_BE_INSTALLED.has(row.state))
    .sort((a, b) => (b.deployedSeq ?? Infinity) - (a.deployedSeq ?? Infinity));
  for (const row of dropped) steps.push({ component: row.component, wave: row.wave, operation: 'uninstall' });
  return steps;
}

/**
 * `prov cluster scale --replicas N [--component C]`: the recorded
 * components that have a replica count (`resources.replicas` or
 * `config.replicas` in their spec), or only C, reconfigured one at a time
 * in deploy order with `config.replicas = N` (their task service's
 * `configure`). A component already at N is left alone.
 */
export function scaleSteps(cluster: string, status: DeploymentStatus, replicas: number, only: string | undefined): ComponentStep[] {
  const installed = status.components.filter((row) => row.state === 'deployed' || (MAY_BE_INSTALLED.has(row.state) && row.state !== 'installing'));
  let chosen: RecordedComponent[];
  if (only !== undefined) {
    const row = status.components.find((each) => each.name === only);
    if (row === undefined || !installed.includes(row)) throw notInstalled(cluster, only, status);
    chosen = [row];
  } else {
    chosen = installed.filter((row) => typeof row.component.config?.['replicas'] === 'number');
    if (chosen.length === 0) {
      throw new ProvError('Usage', `No component of cluster "${cluster}" has a replica count to scale`, {
        hint: 'Give components resources.replicas in the cluster definition, or name one with --component.',
      });
    }
  }
  return chosen
    .filter((row) => row.component.config?.['replicas'] !== replicas || row.state !== 'deployed')
    .sort(deployOrder)
    .map((row): ComponentStep => ({ component: withReplicas(row.component, replicas), wave: row.wave, operation: 'configure' }));
}

/** `prov cluster restart-component C`: C, which must be recorded as installed. */
export function restartSteps(cluster: string, status: DeploymentStatus, name: string): ComponentStep[] {
  const row = status.components.find((each) => each.name === name);
  if (row === undefined || !MAY_BE_INSTALLED.has(row.state) || row.state === 'installing') throw notInstalled(cluster, name, status);
  return [{ component: row.component, wave: row.wave, operation: 'restart' }];
}

function withReplicas(component: ClusterComponent, replicas: number): ClusterComponent {
  return { ...component, config: { ...component.config, replicas } };
}

function deployOrder(a: RecordedComponent, b: RecordedComponent): number {
  return a.wave - b.wave || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

function notInstalled(cluster: string, name: string, status: DeploymentStatus): ProvError {
  const installed = status.components.filter((row) => MAY_BE_INSTALLED.has(row.state)).map((row) => row.name);
  return new ProvError('Usage', `Component "${name}" of cluster "${cluster}" is not installed`, {
    hint: installed.length === 0 ? `Nothing of it is installed: prov cluster create ${cluster}.` : `Installed components: ${installed.join(', ')}.`,
  });
}
