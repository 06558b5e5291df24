import { ProvError } from '../errors/index.js';
import type { ClusterComponent, ClusterComponentInput } from './cluster-component.js';
import { compareNames, shortestCycle } from './shortest-cycle.js';

/**
 * The order a cluster is deployed in: waves of components whose
 * dependencies are all in earlier waves. A component's wave is its
 * topological level (0 without dependencies, else one more than its deepest
 * dependency's), so it starts as early as it can; within a wave components
 * are sorted by name, so the same definition always yields the same plan,
 * whatever order it lists them in.
 */
export interface DeploymentPlan {
  readonly waves: readonly (readonly ClusterComponent[])[];
}

/** Orders `components` into waves, or throws ClusterInvalid naming what is wrong. */
export function planDeployment(components: readonly ClusterComponentInput[]): DeploymentPlan {
  const byName = new Map<string, ClusterComponent>();
  for (const input of components) {
    if (byName.has(input.name)) {
      throw new ProvError('ClusterInvalid', `Two components are named "${input.name}"`, {
        hint: 'Give each component of the cluster its own name.',
        details: { problem: 'duplicate', component: input.name },
      });
    }
    byName.set(input.name, { ...input, dependencies: [...(input.dependencies ?? [])] });
  }

  for (const component of [...byName.values()].sort((a, b) => compareNames(a.name, b.name))) {
    for (const dependency of component.dependencies) {
      if (!byName.has(dependency)) {
        throw new ProvError('ClusterInvalid', `Component "${component.name}" depends on "${dependency}", which is not a component of this cluster`, {
          hint: `Add a component named "${dependency}", or remove it from "${component.name}"'s dependencies.`,
          details: { problem: 'unknown-dependency', component: component.name, dependency },
        });
      }
    }
  }

  const level = levels(byName);
  const waves: ClusterComponent[][] = [];
  for (const component of byName.values()) (waves[level.get(component.name)!] ??= []).push(component);
  for (const wave of waves) wave.sort((a, b) => compareNames(a.name, b.name));
  return { waves };
}

/** Every component of the plan, in deploy order: wave by wave, by name within a wave. */
export function deployOrder(plan: DeploymentPlan): ClusterComponent[] {
  return plan.waves.flat();
}

/**
 * The waves to delete in: the deploy waves reversed, so every component is
 * removed before anything it depends on. Within a wave the order is by name
 * (its components do not depend on each other).
 */
export function deletionWaves(plan: DeploymentPlan): ClusterComponent[][] {
  return [...plan.waves].reverse().map((wave) => [...wave]);
}

/** Each component's topological level (Kahn's algorithm by rounds), or ClusterInvalid with the shortest cycle's path. */
function levels(byName: ReadonlyMap<string, ClusterComponent>): Map<string, number> {
  const level = new Map<string, number>();
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const component of byName.values()) {
    const unique = new Set(component.dependencies);
    waiting.set(component.name, unique.size);
    for (const dependency of unique) (dependents.get(dependency) ?? dependents.set(dependency, []).get(dependency)!).push(component.name);
  }
  let round = [...waiting].filter(([, count]) => count === 0).map(([name]) => name);
  for (let depth = 0; round.length > 0; depth++) {
    const next: string[] = [];
    for (const name of round) {
      level.set(name, depth);
      for (const dependent of dependents.get(name) ?? []) {
        const left = waiting.get(dependent)! - 1;
        waiting.set(dependent, left);
        if (left === 0) next.push(dependent);
      }
    }
    round = next;
  }
  if (level.size < byName.size) {
    // Whatever Kahn's algorithm could not place is on a cycle or behind one: the cycle is among them.
    const stuck = [...byName.keys()].filter((name) => !level.has(name));
    const edges = new Map(stuck.map((name) => [name, byName.get(name)!.dependencies.filter((dependency) => !level.has(dependency))]));
    const cycle = shortestCycle(stuck, edges)!;
    throw new ProvError('ClusterInvalid', `Components depend on each other in a cycle: ${cycle.join(' → ')}`, {
      hint: `"a → b" reads "a depends on b": remove one of these dependencies.`,
      details: { problem: 'cycle', cycle },
    });
  }
  return level;
}
