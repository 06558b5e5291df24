import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { changeCluster } from '../../runtime/cluster/change-cluster.js';
import { restartSteps, scaleSteps, upgradeSteps } from '../../runtime/cluster/change-steps.js';
import type { ClusterComponentInput } from '../../runtime/cluster/cluster-component.js';
import { deployCluster } from '../../runtime/cluster/deploy-cluster.js';
import { deploymentStatus } from '../../runtime/cluster/deployment-status.js';
import { rollbackDeployment } from '../../runtime/cluster/rollback-deployment.js';
import { ProvError } from '../../runtime/errors/index.js';
import { FakeComponentRunner } from '../helpers/fake-component-runner.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'prov-cluster-change-'));
let homes = 0;
const freshEnv = (): NodeJS.ProcessEnv => ({ ...process.env, PROV_HOME: path.join(work, `home-${++homes}`) });
afterAll(() => rmSync(work, { recursive: true, force: true }));

const fake = () => new FakeComponentRunner((message) => new ProvError('OperationFailed', message));
const c = (name: string, config: Record<string, unknown> = {}, ...dependencies: string[]): ClusterComponentInput => ({ name, config, dependencies });
const V1 = [c('db', { version: '1' }), c('api', { version: '1', replicas: 2 }, 'db'), c('web', { version: '1' }, 'api'), c('old', {})];

async function deployed(env: NodeJS.ProcessEnv) {
  const report = await deployCluster('shop', V1, fake(), { env, server: 'srv-1' });
  expect(report.ok).toBe(true);
  return deploymentStatus('shop', env)!;
}

describe('upgradeSteps', () => {
  it('upgrades what changed, installs what is new, leaves the unchanged alone and uninstalls what was dropped, last', async () => {
    const status = await deployed(freshEnv());
    expect(status.server).toBe('srv-1');
    const v2 = [c('db', { version: '2' }), c('api', { version: '1', replicas: 2 }, 'db'), c('web', { version: '2' }, 'api'), c('cache', {}, 'db')];
    expect(upgradeSteps(v2, status).map((step) => `${step.operation} ${step.component.name}`)).toEqual(['upgrade db', 'install cache', 'upgrade web', 'uninstall old']);
    expect(upgradeSteps(V1, status)).toEqual([]);
  });
});

describe('changeCluster', () => {
  it('goes one component at a time in the order given, and records each one\'s new definition', async () => {
    const env = freshEnv();
    const status = await deployed(env);
    const runner = fake();
    for (const name of ['db', 'web']) runner.delays[name] = 20;
    const v2 = [c('db', { version: '2' }), c('api', { version: '1', replicas: 2 }, 'db'), c('web', { version: '2' }, 'api'), c('old', {})];
    const report = await changeCluster('shop', 'upgrade', upgradeSteps(v2, status), runner, { env });
    expect(report.ok).toBe(true);
    expect(runner.maxRunning).toBe(1);
    expect(runner.calls.map((call) => `${call.action} ${call.name}`)).toEqual(['upgrade db', 'upgrade web']);
    const after = deploymentStatus('shop', env)!;
    expect(after).toMatchObject({ operation: 'upgrade', state: 'succeeded', server: 'srv-1' });
    expect(after.components.find((row) => row.name === 'db')!.component.config).toEqual({ version: '2' });
    // Done is done: the same upgrade again has nothing to do.
    expect(upgradeSteps(v2, after)).toEqual([]);
  });

  it('stops at the first failure, rolls nothing back, and a re-run goes on from there', async () => {
    const env = freshEnv();
    const status = await deployed(env);
    const runner = fake();
    runner.failChange.add('web');
    const v2 = [c('db', { version: '2' }), c('api', { version: '2', replicas: 2 }, 'db'), c('web', { version: '2' }, 'api'), c('old', {})];
    const report = await changeCluster('shop', 'upgrade', upgradeSteps(v2, status), runner, { env });
    expect(report.ok).toBe(false);
    expect(report.error).toMatchObject({ code: 'ComponentFailed', message: 'Upgrading cluster "shop" failed at component "web": fake upgrade of web failed; changed before it: db, api; none left untried' });
    const after = deploymentStatus('shop', env)!;
    expect(Object.fromEntries(after.components.map((row) => [row.name, row.state]))).toEqual({ db: 'deployed', api: 'deployed', old: 'deployed', web: 'upgrade-failed' });
    expect(after.state).toBe('failed');

    const retry = fake();
    expect((await changeCluster('shop', 'upgrade', upgradeSteps(v2, after), retry, { env })).ok).toBe(true);
    expect(retry.calls.map((call) => `${call.action} ${call.name}`)).toEqual(['upgrade web']);
  });

  it('records a component an upgrade adds while it installs and when it fails, and a rollback after it goes in the new deploy order', async () => {
    const env = freshEnv();
    await deployCluster('grow', [c('db')], fake(), { env });
    const v2 = [c('db'), c('b', {}, 'db'), c('a', {}, 'b')];
    const failing = fake();
    failing.failInstall.add('a');
    const seen: string[] = [];
    failing.onCall = (action, component) => {
      const row = deploymentStatus('grow', env)!.components.find((each) => each.name === component.name);
      seen.push(`${action} ${component.name}: recorded ${row?.state ?? 'nowhere'}`);
    };
    const failed = await changeCluster('grow', 'upgrade', upgradeSteps(v2, deploymentStatus('grow', env)!), failing, { env, deployOrder: ['db', 'b', 'a'] });
    expect(failed.ok).toBe(false);
    expect(seen).toEqual(['install b: recorded installing', 'install a: recorded installing']);
    expect(Object.fromEntries(deploymentStatus('grow', env)!.components.map((row) => [row.name, row.state]))).toEqual({ db: 'deployed', b: 'deployed', a: 'failed' });

    const runner = fake();
    expect((await changeCluster('grow', 'upgrade', upgradeSteps(v2, deploymentStatus('grow', env)!), runner, { env, deployOrder: ['db', 'b', 'a'] })).ok).toBe(true);
    expect(runner.calls.map((call) => `${call.action} ${call.name}`)).toEqual(['install a']);
    const undo = fake();
    expect((await rollbackDeployment('grow', undo, { env })).ok).toBe(true);
    expect(undo.started('uninstall')).toEqual(['a', 'b', 'db']);
  });

  it('scale sets config.replicas on the components that have one (or the one named), restart-component restarts one', async () => {
    const env = freshEnv();
    const status = await deployed(env);
    expect(scaleSteps('shop', status, 5, undefined).map((step) => [step.operation, step.component.name, step.component.config])).toEqual([['configure', 'api', { version: '1', replicas: 5 }]]);
    expect(scaleSteps('shop', status, 2, undefined)).toEqual([]); // already 2
    expect(scaleSteps('shop', status, 3, 'db').map((step) => step.component.config)).toEqual([{ version: '1', replicas: 3 }]);
    expect(() => scaleSteps('shop', status, 3, 'nope')).toThrow('Component "nope" of cluster "shop" is not installed');

    const runner = fake();
    await changeCluster('shop', 'scale', scaleSteps('shop', status, 5, undefined), runner, { env });
    expect(runner.calls.map((call) => [call.action, call.name, call.config])).toEqual([['configure', 'api', { version: '1', replicas: 5 }]]);
    const scaled = deploymentStatus('shop', env)!;
    expect(scaled.components.find((row) => row.name === 'api')!.component.config).toEqual({ version: '1', replicas: 5 });
    // Scaling keeps each component's place in the deploy order (a rollback undoes them in reverse).
    expect(scaled.components.find((row) => row.name === 'api')!.deployedSeq).toBe(status.components.find((row) => row.name === 'api')!.deployedSeq);

    await changeCluster('shop', 'restart', restartSteps('shop', scaled, 'web'), runner, { env });
    expect(runner.calls.at(-1)).toMatchObject({ action: 'restart', name: 'web' });
    expect(() => restartSteps('shop', scaled, 'nope')).toThrow('is not installed');
  });

  it('a scale with no component that has a replica count says how to get one', async () => {
    const env = freshEnv();
    await deployCluster('plain', [c('a')], fake(), { env });
    expect(() => scaleSteps('plain', deploymentStatus('plain', env)!, 2, undefined)).toThrow('No component of cluster "plain" has a replica count to scale');
  });
});
