import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterComponentInput } from '../../runtime/cluster/cluster-component.js';
import { deployCluster } from '../../runtime/cluster/deploy-cluster.js';
import { deploymentStatus } from '../../runtime/cluster/deployment-status.js';
import { rollbackDeployment } from '../../runtime/cluster/rollback-deployment.js';
import { FakeComponentRunner } from '../helpers/fake-component-runner.js';
import { REPO_ROOT } from '../helpers/run-cli.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'prov-cluster-crash-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const c = (name: string, ...dependencies: string[]): ClusterComponentInput => ({ name, dependencies });
// a | b(a) c(a) | x(b) | d(x): one at a time, x is installed after a, b and c.
const COMPONENTS = [c('a'), c('b', 'a'), c('c', 'a'), c('x', 'b'), c('d', 'x')];

/** Runs test/helpers/crash-deploy.ts with the repo's Node; resolves with how it ended. */
function deployAndDie(env: NodeJS.ProcessEnv, killAt: string): Promise<{ signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const script = path.join(REPO_ROOT, 'test', 'helpers', 'crash-deploy.ts');
  const child = spawn(process.execPath, [script, 'web', JSON.stringify(COMPONENTS), killAt], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (_code, signal) => resolve({ signal, stdout, stderr }));
  });
}

describe('a deploy killed halfway', () => {
  it('leaves a record that explains itself, and a resumed deploy finishes without installing again what was deployed', async () => {
    const env = { ...process.env, PROV_HOME: path.join(work, 'home') };
    const child = await deployAndDie(env, 'x');
    expect(child.signal, child.stderr).toBe('SIGKILL');
    expect(child.stdout).toBe('install a\ninstall b\ninstall c\ninstall x\n');

    const status = deploymentStatus('web', env)!;
    expect(status).toMatchObject({ cluster: 'web', operation: 'deploy', state: 'interrupted', inFlight: ['x'] });
    expect(status.pid).not.toBe(process.pid);
    expect(status.components.map((component) => [component.name, component.wave, component.state])).toEqual([
      ['a', 0, 'deployed'],
      ['b', 1, 'deployed'],
      ['c', 1, 'deployed'],
      ['x', 2, 'installing'],
      ['d', 3, 'not-started'],
    ]);

    const runner = new FakeComponentRunner();
    const report = await deployCluster('web', COMPONENTS, runner, { env });
    expect(report.ok).toBe(true);
    expect(runner.started('install')).toEqual(['x', 'd']);
    expect(report.components.map((component) => [component.name, component.state, component.alreadyDeployed ?? false])).toEqual([
      ['a', 'deployed', true],
      ['b', 'deployed', true],
      ['c', 'deployed', true],
      ['x', 'deployed', false],
      ['d', 'deployed', false],
    ]);
    expect(deploymentStatus('web', env)).toMatchObject({ state: 'succeeded', inFlight: [] });
  });

  it('can instead be rolled back: the component in flight first, then the deployed ones in reverse order', async () => {
    const env = { ...process.env, PROV_HOME: path.join(work, 'home-rollback') };
    expect((await deployAndDie(env, 'x')).signal).toBe('SIGKILL');
    const runner = new FakeComponentRunner();
    const report = await rollbackDeployment('web', runner, { env });
    expect(report.ok).toBe(true);
    expect(runner.started('uninstall')).toEqual(['x', 'c', 'b', 'a']);
    expect(report.components.map((component) => [component.name, component.state])).toEqual([
      ['a', 'rolled-back'], ['b', 'rolled-back'], ['c', 'rolled-back'], ['x', 'rolled-back'], ['d', 'not-started'],
    ]);
  });
});
