import { toProvError, type ProvErrorJson } from '../errors/index.js';
import type { PlanEntry } from '../sandbox/operation-result.js';
import type { ClusterComponentInput } from './cluster-component.js';
import { deletionWaves, planDeployment } from './deployment-plan.js';
import type { TaskservComponentRunner } from './taskserv-component-runner.js';

/** One component's part of a check-mode cluster operation. */
export interface ComponentCheck {
  name: string;
  wave: number;
  operation: 'install' | 'uninstall';
  /** What its task service would do (nothing was done). */
  plan: PlanEntry[];
  changed: boolean;
  error?: ProvErrorJson;
}

export interface ClusterCheck {
  cluster: string;
  operation: 'deploy' | 'delete';
  waves: string[][];
  components: ComponentCheck[];
  ok: boolean;
}

/**
 * `prov cluster create|delete --check`: each component's install (or
 * uninstall) run in check mode, in the order the real operation would take,
 * one at a time. Nothing is recorded in the store — a check leaves no trace —
 * and a component that fails to plan does not stop the others from being
 * planned (the report shows them all).
 */
export async function checkCluster(cluster: string, components: readonly ClusterComponentInput[], runner: TaskservComponentRunner, operation: 'deploy' | 'delete'): Promise<ClusterCheck> {
  const plan = planDeployment(components);
  const waves = operation === 'deploy' ? plan.waves : deletionWaves(plan);
  const checks: ComponentCheck[] = [];
  for (const [wave, members] of waves.entries()) {
    for (const component of members) {
      const action = operation === 'deploy' ? 'install' : 'uninstall';
      try {
        const outcome = await runner.plan(component, action);
        checks.push({ name: component.name, wave, operation: action, plan: outcome.plan ?? [], changed: outcome.changed });
      } catch (error) {
        const { code, message, hint } = toProvError(error).toJSON();
        checks.push({ name: component.name, wave, operation: action, plan: [], changed: false, error: { code, message, ...(hint === undefined ? {} : { hint }) } });
      }
    }
  }
  return { cluster, operation, waves: waves.map((wave) => wave.map((component) => component.name)), components: checks, ok: checks.every((check) => check.error === undefined) };
}
