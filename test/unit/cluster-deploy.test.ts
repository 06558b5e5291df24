import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProvError } from '../../runtime/errors/index.js';
import type { ClusterComponentInput } from '../../runtime/cluster/cluster-component.js';
import type { ClusterEvent } from '../../runtime/cluster/cluster-events.js';
import { deleteCluster } from '../../runtime/cluster/delete-cluster.js';
import { deployCluster } from '../../runtime/cluster/deploy-cluster.js';
import { deploymentStatus } from '../../runtime/cluster/deployment-status.js';
import { rollbackDeployment } from '../../runtime/cluster/rollback-deployment.js';
import { FakeComponentRunner } from '../helpers/fake-component-runner.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'prov-cluster-'));
let homes = 0;
/** A fresh $PROV_HOME per test: each reads back its own store. */
const freshEnv = (): NodeJS.ProcessEnv => ({ ...process.env, PROV_HOME: path.join(work, `home-${++homes}`) });
afterAll(() => rmSync(work, { recursive: true, force: true }));

const c = (name: string, ...dependencies: string[]): ClusterComponentInput => ({ name, dependencies });
const fake = () => new FakeComponentRunner((message) => new ProvError('OperationFailed', message));
const states = (env: NodeJS.ProcessEnv, cluster = 'web') => Object.fromEntries(deploymentStatus(cluster, env)!.components.map((component) => [component.name, component.state]));

// a, b | c(a) d(a) e(b) | f(c)
const GRAPH = [c('a'), c('b'), c('c', 'a'), c('d', 'a'), c('e', 'b'), c('f', 'c')];

describe('deployCluster', () => {
  it('keeps at most `concurrency` installs running, starting a wave in name order', async () => {
    const runner = fake();
    const names = Array.from({ length: 10 }, (_, index) => `svc-${String(index).padStart(2, '0')}`);
    for (const name of names) runner.delays[name] = 15;
    const report = await deployCluster('web', [...names].reverse().map((name) => c(name)), runner, { concurrency: 3, env: freshEnv() });
    expect(report.ok).toBe(true);
    expect(runner.maxRunning).toBe(3);
    expect(runner.started('install')).toEqual(names);
  });

  it('uses 4 at once by default, and runs a wave only after the one before has finished', async () => {
    const runner = fake();
    const components = [...Array.from({ length: 6 }, (_, index) => c(`w0-${index}`)), ...Array.from({ length: 6 }, (_, index) => c(`w1-${index}`, `w0-${index}`))];
    const report = await deployCluster('web', components, runner, { env: freshEnv() });
    expect(report.ok).toBe(true);
    expect(runner.maxRunning).toBe(4);
    const lastOfWave0 = Math.max(...runner.calls.filter((call) => call.name.startsWith('w0')).map((call) => call.end!));
    const firstOfWave1 = Math.min(...runner.calls.filter((call) => call.name.startsWith('w1')).map((call) => call.start));
    expect(firstOfWave1).toBeGreaterThanOrEqual(lastOfWave0);
    expect(report.components.map((component) => [component.name, component.wave, component.state])).toEqual(components.map((component) => [component.name, component.name.startsWith('w0') ? 0 : 1, 'deployed']));
  });

  it('when a component fails, lets its wave finish, starts nothing more, and rolls back in reverse order of deployment', async () => {
    const runner = fake();
    Object.assign(runner.delays, { a: 5, b: 15, c: 10, d: 5, e: 30 });
    runner.failInstall.add('d');
    const events: ClusterEvent[] = [];
    const env = freshEnv();
    const report = await deployCluster('web', GRAPH, runner, { env, onEvent: (event) => events.push(event) });
    expect(runner.succeeded('install')).toEqual(['a', 'b', 'c', 'e']);
    expect(runner.started('uninstall')).toEqual(['e', 'c', 'b', 'a']);
    expect(runner.calls.filter((call) => call.action === 'uninstall').every((call, index, all) => index === 0 || call.start >= all[index - 1]!.end!)).toBe(true);
    expect(report).toEqual({
      cluster: 'web',
      operation: 'deploy',
      ok: false,
      components: [
        { name: 'a', wave: 0, state: 'rolled-back' },
        { name: 'b', wave: 0, state: 'rolled-back' },
        { name: 'c', wave: 1, state: 'rolled-back' },
        { name: 'd', wave: 1, state: 'failed', error: { code: 'OperationFailed', message: 'fake install of d failed' } },
        { name: 'e', wave: 1, state: 'rolled-back' },
        { name: 'f', wave: 2, state: 'not-started' },
      ],
      error: {
        code: 'ComponentFailed',
        message: 'Deploying cluster "web" failed at component "d": fake install of d failed; 4 deployed components were rolled back',
        hint: 'Fix the cause and deploy again: components still deployed are not installed again.',
        details: { component: 'd', error: { code: 'OperationFailed', message: 'fake install of d failed' } },
      },
    });
    expect(states(env)).toEqual({ a: 'rolled-back', b: 'rolled-back', c: 'rolled-back', d: 'failed', e: 'rolled-back', f: 'not-started' });
    expect(deploymentStatus('web', env)).toMatchObject({ operation: 'deploy', state: 'failed', inFlight: [] });
    expect(events.filter((event) => event.type === 'rollback-started')).toEqual([{ type: 'rollback-started', cluster: 'web', components: ['e', 'c', 'b', 'a'] }]);
    expect(events.at(-1)).toEqual({ type: 'operation-finished', cluster: 'web', operation: 'deploy', ok: false });
  });

  it('does not start the queued rest of a wave after a failure', async () => {
    const runner = fake();
    runner.failInstall.add('b');
    const report = await deployCluster('web', [c('a'), c('b'), c('c'), c('d')], runner, { concurrency: 1, env: freshEnv() });
    expect(runner.started('install')).toEqual(['a', 'b']);
    expect(report.components.map((component) => component.state)).toEqual(['rolled-back', 'failed', 'not-started', 'not-started']);
  });

  it('reports a failed rollback with its error and still rolls back the rest', async () => {
    const runner = fake();
    Object.assign(runner.delays, { a: 5, b: 15 });
    runner.failInstall.add('c');
    runner.failUninstall.add('b');
    const env = freshEnv();
    const report = await deployCluster('web', [c('a'), c('b'), c('c', 'a', 'b')], runner, { env });
    expect(runner.started('uninstall')).toEqual(['b', 'a']);
    expect(report.components).toEqual([
      { name: 'a', wave: 0, state: 'rolled-back' },
      { name: 'b', wave: 0, state: 'rollback-failed', error: { code: 'OperationFailed', message: 'fake uninstall of b failed' } },
      { name: 'c', wave: 1, state: 'failed', error: { code: 'OperationFailed', message: 'fake install of c failed' } },
    ]);
    expect(report.error?.message).toBe('Deploying cluster "web" failed at component "c": fake install of c failed; 1 deployed component was rolled back, 1 could not be');
    // What the rollback could not remove is what rollbackDeployment tries again.
    runner.failUninstall.clear();
    const again = await rollbackDeployment('web', runner, { env });
    expect(again.ok).toBe(true);
    expect(runner.started('uninstall')).toEqual(['b', 'a', 'b']);
    expect(states(env)).toEqual({ a: 'rolled-back', b: 'rolled-back', c: 'failed' });
  });

  it('a runner that throws something other than a ProvError is an Internal error of that component', async () => {
    const runner = new FakeComponentRunner();
    runner.failInstall.add('a');
    const report = await deployCluster('web', [c('a')], runner, { env: freshEnv() });
    expect(report.components[0]!.error).toMatchObject({ code: 'Internal', message: 'Internal error: fake install of a failed' });
  });

  it('commits each component\'s state as it changes (read back through a fresh store)', async () => {
    const runner = fake();
    const env = freshEnv();
    const seen: Record<string, unknown>[] = [];
    runner.onCall = (action, component) => seen.push({ [`${action} ${component.name}`]: { ...states(env), run: deploymentStatus('web', env)!.state } });
    await deployCluster('web', [c('a'), c('b', 'a'), c('c', 'b')], runner, { env });
    expect(seen).toEqual([
      { 'install a': { a: 'installing', b: 'not-started', c: 'not-started', run: 'running' } },
      { 'install b': { a: 'deployed', b: 'installing', c: 'not-started', run: 'running' } },
      { 'install c': { a: 'deployed', b: 'deployed', c: 'installing', run: 'running' } },
    ]);
    const status = deploymentStatus('web', env)!;
    expect(status).toMatchObject({ cluster: 'web', operation: 'deploy', state: 'succeeded', pid: process.pid, inFlight: [] });
    expect(status.components.map((component) => [component.name, component.state, component.deployedSeq])).toEqual([['a', 'deployed', 1], ['b', 'deployed', 2], ['c', 'deployed', 3]]);
    expect(status.components[1]!.component).toEqual({ name: 'b', dependencies: ['a'] });
  });

  it('a re-run skips what is deployed with the same config and installs what changed', async () => {
    const env = freshEnv();
    const components = [c('a'), { ...c('b', 'a'), config: { workers: 4 } }, c('c', 'b')];
    await deployCluster('web', components, fake(), { env });
    const rerun = fake();
    const same = await deployCluster('web', components, rerun, { env });
    expect(rerun.calls).toEqual([]);
    expect(same.components.map((component) => [component.name, component.state, component.alreadyDeployed])).toEqual([['a', 'deployed', true], ['b', 'deployed', true], ['c', 'deployed', true]]);
    const changed = fake();
    await deployCluster('web', [components[0]!, { ...components[1]!, config: { workers: 8 } }, components[2]!], changed, { env });
    expect(changed.started('install')).toEqual(['b']);
    const everything = fake();
    await deployCluster('web', components, everything, { env, resume: false });
    expect(everything.started('install')).toEqual(['a', 'b', 'c']);
  });

  it('a failed re-deploy rolls back only what it deployed itself', async () => {
    const env = freshEnv();
    await deployCluster('web', [c('a'), c('b', 'a')], fake(), { env });
    const runner = fake();
    runner.failInstall.add('d');
    const report = await deployCluster('web', [c('a'), c('b', 'a'), c('c', 'b'), c('d', 'c')], runner, { env });
    expect(runner.started('uninstall')).toEqual(['c']);
    expect(report.components.map((component) => component.state)).toEqual(['deployed', 'deployed', 'rolled-back', 'failed']);
  });

  it('cancelling aborts the install in flight, starts nothing more and rolls back', async () => {
    const runner = fake();
    runner.hang.add('b');
    const controller = new AbortController();
    runner.onCall = (action, component) => {
      if (action === 'install' && component.name === 'b') setTimeout(() => controller.abort(), 10);
    };
    const env = freshEnv();
    const report = await deployCluster('web', [c('a'), c('b', 'a'), c('c', 'b')], runner, { env, signal: controller.signal });
    expect(report.components).toEqual([
      { name: 'a', wave: 0, state: 'rolled-back' },
      { name: 'b', wave: 1, state: 'failed', error: { code: 'Cancelled', message: 'The operation was cancelled' } },
      { name: 'c', wave: 2, state: 'not-started' },
    ]);
    expect(report.error).toEqual({
      code: 'Cancelled',
      message: 'Deploying cluster "web" was cancelled; 1 deployed component was rolled back',
      hint: 'See each component\'s state in the report; run the deploy again to resume it.',
    });
  });

  it('refuses a second operation on a cluster that is being deployed', async () => {
    const runner = fake();
    runner.delays['a'] = 50;
    const env = freshEnv();
    const first = deployCluster('web', [c('a')], runner, { env });
    await expect(deployCluster('web', [c('a')], fake(), { env })).rejects.toMatchObject({ code: 'ClusterBusy', message: `Cluster "web" is being deployed, rolled back or deleted by another operation (process ${process.pid})` });
    expect(deploymentStatus('web', env)!.state).toBe('running');
    expect((await first).ok).toBe(true);
    // Another cluster in the same home is not blocked.
    expect((await deployCluster('api', [c('a')], fake(), { env })).ok).toBe(true);
  });

  it('throws ClusterInvalid before touching the store or the runner', async () => {
    const runner = fake();
    const env = freshEnv();
    await expect(deployCluster('web', [c('a', 'b'), c('b', 'a')], runner, { env })).rejects.toMatchObject({ code: 'ClusterInvalid' });
    expect(runner.calls).toEqual([]);
    expect(deploymentStatus('web', env)).toBeUndefined();
  });
});

describe('rollbackDeployment', () => {
  it('uninstalls what is recorded as deployed, last deployed first', async () => {
    const env = freshEnv();
    const deployer = fake();
    Object.assign(deployer.delays, { a: 80, b: 5 }); // b starts after a, so a wide margin keeps it finishing first on a loaded machine
    await deployCluster('web', [c('a'), c('b'), c('c', 'a')], deployer, { env });
    expect(deployer.succeeded('install')).toEqual(['b', 'a', 'c']);
    const runner = fake();
    const report = await rollbackDeployment('web', runner, { env });
    expect(runner.started('uninstall')).toEqual(['c', 'a', 'b']);
    expect(report.components.map((component) => [component.name, component.state])).toEqual([['a', 'rolled-back'], ['b', 'rolled-back'], ['c', 'rolled-back']]);
    expect(deploymentStatus('web', env)).toMatchObject({ operation: 'rollback', state: 'succeeded' });
  });

  it('says so when nothing is recorded', async () => {
    await expect(rollbackDeployment('nowhere', fake(), { env: freshEnv() })).rejects.toMatchObject({ code: 'ClusterNotDeployed', message: 'No deployment of cluster "nowhere" is recorded' });
  });
});

describe('deleteCluster', () => {
  it('uninstalls in reverse waves, a wave in parallel', async () => {
    const env = freshEnv();
    await deployCluster('web', GRAPH, fake(), { env });
    const runner = fake();
    const report = await deleteCluster('web', GRAPH, runner, { env });
    expect(report.ok).toBe(true);
    expect(runner.started('uninstall')).toEqual(['f', 'c', 'd', 'e', 'a', 'b']);
    expect(runner.maxRunning).toBe(3);
    expect(states(env)).toEqual({ a: 'deleted', b: 'deleted', c: 'deleted', d: 'deleted', e: 'deleted', f: 'deleted' });
  });

  it('stops before what a component that failed to uninstall depends on', async () => {
    const env = freshEnv();
    await deployCluster('web', GRAPH, fake(), { env });
    const runner = fake();
    runner.failUninstall.add('d');
    const report = await deleteCluster('web', GRAPH, runner, { env });
    expect(runner.started('uninstall')).toEqual(['f', 'c', 'd', 'e']);
    expect(report.components.map((component) => [component.name, component.state])).toEqual([
      ['a', 'deployed'], ['b', 'deployed'], ['c', 'deleted'], ['d', 'delete-failed'], ['e', 'deleted'], ['f', 'deleted'],
    ]);
    expect(report.error).toMatchObject({ code: 'ComponentFailed', message: 'Deleting cluster "web" failed at component "d": fake uninstall of d failed' });
  });
});
