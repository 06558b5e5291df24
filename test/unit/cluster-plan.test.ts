import { describe, expect, it } from 'vitest';
import { ProvError } from '../../runtime/errors/index.js';
import { deletionWaves, deployOrder, planDeployment } from '../../runtime/cluster/deployment-plan.js';
import type { ClusterComponentInput } from '../../runtime/cluster/cluster-component.js';
import { componentHash } from '../../runtime/cluster/cluster-component.js';

const c = (name: string, ...dependencies: string[]): ClusterComponentInput => ({ name, dependencies });
const names = (waves: readonly (readonly { name: string }[])[]) => waves.map((wave) => wave.map((component) => component.name));

function planError(components: ClusterComponentInput[]): ProvError {
  try {
    planDeployment(components);
  } catch (error) {
    if (error instanceof ProvError) return error;
    throw error;
  }
  throw new Error('expected planDeployment to throw');
}

/** A deterministic shuffle (a fixed linear congruential generator), so a failure reproduces. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let index = out.length - 1; index > 0; index--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const pick = state % (index + 1);
    [out[index], out[pick]] = [out[pick]!, out[index]!];
  }
  return out;
}

describe('planDeployment', () => {
  it('puts each component in the wave after its deepest dependency, by name within a wave', () => {
    const plan = planDeployment([c('registry'), c('buildkit', 'containerd'), c('containerd'), c('app', 'buildkit', 'registry')]);
    expect(names(plan.waves)).toEqual([['containerd', 'registry'], ['buildkit'], ['app']]);
    expect(deployOrder(plan).map((component) => component.name)).toEqual(['containerd', 'registry', 'buildkit', 'app']);
    expect(names(deletionWaves(plan))).toEqual([['app'], ['buildkit'], ['containerd', 'registry']]);
  });

  it('takes components without dependencies, as ComponentSpec allows, and keeps their data', () => {
    const plan = planDeployment([{ name: 'a', taskserv: 'containerd', version: '>=1.7.0', config: { x: 1 } }]);
    expect(plan.waves).toEqual([[{ name: 'a', taskserv: 'containerd', version: '>=1.7.0', config: { x: 1 }, dependencies: [] }]]);
  });

  it('an empty cluster has no waves', () => {
    expect(planDeployment([]).waves).toEqual([]);
  });

  it('a diamond is not a cycle, and a repeated dependency counts once', () => {
    expect(names(planDeployment([c('top', 'left', 'right'), c('left', 'base', 'base'), c('right', 'base'), c('base')]).waves)).toEqual([['base'], ['left', 'right'], ['top']]);
  });

  it('names both sides of a dependency on an unknown component', () => {
    const error = planError([c('containerd'), c('buildkit', 'containerd', 'runc')]);
    expect(error.code).toBe('ClusterInvalid');
    expect(error.message).toBe('Component "buildkit" depends on "runc", which is not a component of this cluster');
    expect(error.hint).toBe('Add a component named "runc", or remove it from "buildkit"\'s dependencies.');
    expect(error.details).toEqual({ problem: 'unknown-dependency', component: 'buildkit', dependency: 'runc' });
  });

  it('refuses a duplicate name', () => {
    const error = planError([c('registry'), c('containerd'), c('registry', 'containerd')]);
    expect(error.code).toBe('ClusterInvalid');
    expect(error.message).toBe('Two components are named "registry"');
  });

  it('prints a cycle as its path', () => {
    const error = planError([c('a', 'b'), c('b', 'c'), c('c', 'a'), c('d')]);
    expect(error.code).toBe('ClusterInvalid');
    expect(error.message).toBe('Components depend on each other in a cycle: a → b → c → a');
    expect(error.hint).toBe('"a → b" reads "a depends on b": remove one of these dependencies.');
    expect(error.details).toEqual({ problem: 'cycle', cycle: ['a', 'b', 'c', 'a'] });
  });

  it('a component that depends on itself is a cycle of one', () => {
    expect(planError([c('a'), c('b', 'a', 'b')]).message).toBe('Components depend on each other in a cycle: b → b');
  });

  it('reports the shortest cycle, the same one whatever order the components are listed in', () => {
    // Two cycles: a → b → c → d → a (4) and c → e → c (2); f only sits behind them.
    const components = [c('a', 'b'), c('b', 'c'), c('c', 'd', 'e'), c('d', 'a'), c('e', 'c'), c('f', 'a'), c('g')];
    for (let seed = 1; seed <= 10; seed++) {
      expect(planError(shuffled(components, seed)).message).toBe('Components depend on each other in a cycle: c → e → c');
    }
  });

  it('between cycles of the same length, the one through the first name wins', () => {
    const components = [c('x', 'y'), c('y', 'x'), c('m', 'n'), c('n', 'm')];
    expect(planError(components).message).toBe('Components depend on each other in a cycle: m → n → m');
    expect(planError([...components].reverse()).message).toBe('Components depend on each other in a cycle: m → n → m');
  });

  it('orders 20 components of a depth-4 graph into 4 waves, every dependency in an earlier wave, whatever the input order', () => {
    // Five per level; each depends on two components of the level below (and level 3 also on one of level 0).
    const components: ClusterComponentInput[] = [];
    for (let level = 0; level < 4; level++) {
      for (let index = 0; index < 5; index++) {
        const below = (i: number) => `l${level - 1}-${i % 5}`;
        const dependencies = level === 0 ? [] : [below(index), below(index + 1), ...(level === 3 ? [`l0-${index}`] : [])];
        components.push(c(`l${level}-${index}`, ...dependencies));
      }
    }
    const expected = [0, 1, 2, 3].map((level) => [0, 1, 2, 3, 4].map((index) => `l${level}-${index}`));
    for (let seed = 1; seed <= 10; seed++) {
      const plan = planDeployment(shuffled(components, seed));
      expect(names(plan.waves)).toEqual(expected);
      const waveOf = new Map(plan.waves.flatMap((wave, index) => wave.map((component) => [component.name, index] as const)));
      for (const component of deployOrder(plan)) for (const dependency of component.dependencies) expect(waveOf.get(dependency)!).toBeLessThan(waveOf.get(component.name)!);
    }
  });

  it('a 4-deep chain with side branches starts each component as early as it can', () => {
    const plan = planDeployment([c('d', 'c'), c('c', 'b'), c('b', 'a'), c('a'), c('side', 'a'), c('late', 'd', 'side')]);
    expect(names(plan.waves)).toEqual([['a'], ['b', 'side'], ['c'], ['d'], ['late']]);
  });
});

describe('componentHash', () => {
  it('ignores key order and dependencies, and sees config, version and task service', () => {
    const base = { name: 'b', dependencies: ['a'], version: '>=1', config: { x: 1, y: { p: 1, q: 2 } } };
    expect(componentHash({ ...base, config: { y: { q: 2, p: 1 }, x: 1 }, dependencies: [] })).toBe(componentHash(base));
    expect(componentHash({ ...base, config: { x: 2, y: { p: 1, q: 2 } } })).not.toBe(componentHash(base));
    expect(componentHash({ ...base, version: '>=2' })).not.toBe(componentHash(base));
    expect(componentHash({ ...base, taskserv: 'other' })).not.toBe(componentHash(base));
    expect(componentHash({ ...base, taskserv: 'b' })).toBe(componentHash(base));
  });
});
