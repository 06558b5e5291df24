/**
 * Run by test/unit/cluster-crash.test.ts in a child process (Node strips the
 * types): deploys a cluster with the FAKE runner, one install at a time,
 * and SIGKILLs its own process when the install of `killAt` starts, as a
 * power cut or `kill -9` would. Uses the built runtime (dist/), the one a
 * prov process runs.
 *
 * Usage: node crash-deploy.ts <cluster> <components-json> <killAt>   ($PROV_HOME set by the caller)
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Runtime from '../../runtime/index.ts';
import { FakeComponentRunner } from './fake-component-runner.ts';

const [cluster, componentsJson, killAt] = process.argv.slice(2) as [string, string, string];
const runtime = (await import(pathToFileURL(path.join(import.meta.dirname, '..', '..', 'dist', 'runtime', 'index.js')).href)) as typeof Runtime;

const runner = new FakeComponentRunner();
runner.onCall = (action, component) => {
  process.stdout.write(`${action} ${component.name}\n`);
  if (action === 'install' && component.name === killAt) process.kill(process.pid, 'SIGKILL');
};
await runtime.deployCluster(cluster, JSON.parse(componentsJson), runner, { concurrency: 1 });
process.stdout.write('finished without being killed\n');
