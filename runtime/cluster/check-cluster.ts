import { toProvError, type ProvErrorJson } from '../errors/index.js';
import type { PlanEntry } from '../sandbox/operation-result.js';
import type { ClusterComponentInput } from './cluster-component.js';
import type { ClusterOperation } from './component-state.js';
import type { ComponentStep } from './component-step.js';
import { deletionWaves, planDeployment } from './deployment-plan.js';
import type { TaskservComponentRunner } from './taskserv-component-runner.js';

/** One component's part of a check-mode cluster operation. */
export interface ComponentCheck {
  name: string;
  wave: number;
  operation: ComponentStep['operation'];
  /** What its task service would do (nothing was done). */
  plan: PlanEntry[];
  changed: boolean;
  error?: ProvErrorJson;
}

export interface ClusterCheck {
  cluster: string;
  operation: ClusterOperation;
  waves: string[][];
  components: ComponentCheck[];
  ok: boolean;
}

/** The steps of a deploy (every install, wave by wave) or a delete (every uninstall, waves reversed). */
export function deployOrDeleteSteps(components: readonly ClusterComponentInput[], operation: 'deploy' | 'delete'): { waves: string[][]; steps: ComponentStep[] } {
  const plan = planDeployment(components);
  const waves = operation === 'deploy' ? plan.waves : deletionWaves(plan);
  return {
    waves: waves.map((wave) => wave.map((component) => component.name)),
    steps: waves.flatMap((members, wave) => members.map((component): ComponentStep => ({ component, wave, operation: operation === 'deploy' ? 'install' : 'uninstall' }))),
  };
}

/**
 * A cluster operation with `--check`: each step's task service operation
 * run in check mode, in the order the real operation would take, one at a
 * time. Nothing is recorded in the store — a check leaves no trace — and a
 * component that fails to plan does not stop the others from being planned
 * (the report shows them all).
 */
export async function checkCluster(cluster: string, operation: ClusterOperation, waves: string[][], steps: readonly ComponentStep[], runner: TaskservComponentRunner): Promise<ClusterCheck> {
  const checks: ComponentCheck[] = [];
  for (const { component, wave, operation: action } of steps) {
    try {
      const outcome = await runner.plan(component, action);
      checks.push({ name: component.name, wave, operation: action, plan: outcome.plan ?? [], changed: outcome.changed });
    } catch (error) {
      const { code, message, hint } = toProvError(error).toJSON();
      checks.push({ name: component.name, wave, operation: action, plan: [], changed: false, error: { code, message, ...(hint === undefined ? {} : { hint }) } });
    }
  }
  return { cluster, operation, waves, components: checks, ok: checks.every((check) => check.error === undefined) };
}
