import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRegistrableExtension } from '../helpers/registrable-extension.js';
import { runProv } from '../helpers/run-cli.js';

const work = await mkdtemp(path.join(os.tmpdir(), 'prov-cluster-'));
const env = { PROV_HOME: path.join(work, 'home') };
const markers = path.join(work, 'markers');
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * A task service that "installs" a component by creating a file on the
 * target (here `local`, through ctx.servers.exec: real child processes,
 * real files) and uninstalls it by removing the file; `fail: true` in its
 * config makes its install fail.
 */
const MARKER_SOURCE = `import { defineTaskserv } from 'prov/sdk';
const none = async () => null;
export default defineTaskserv({
  async install(input: any, ctx: any) {
    if (input.fail) throw new Error('the install of ' + input.path + ' fails on purpose');
    const done = await ctx.servers.exec(ctx.target.name, ['/usr/bin/touch', input.path]);
    if (!done.planned && done.code !== 0) throw new Error('touch exited ' + done.code); // under --check the exec is planned, not run
    return { installed: input.path };
  },
  async uninstall(input: any, ctx: any) {
    await ctx.servers.exec(ctx.target.name, ['/usr/bin/rm', '-f', input.path]);
    return { removed: input.path };
  },
  async status(input: any, ctx: any) {
    const probe = await ctx.servers.exec(ctx.target.name, ['/usr/bin/test', '-e', input.path]);
    return { present: probe.code === 0 };
  },
  configure: none, restart: none, upgrade: none, getCurrentVersion: none, getAvailableVersions: none, checkUpdates: none,
} as any);
`;

async function cluster(name: string, components: unknown[]): Promise<string> {
  return writeRegistrableExtension(path.join(work, name), {
    name, version: '1.0.0', type: 'cluster',
    source: `import { defineCluster } from 'prov/sdk';\nexport default defineCluster({ components: ${JSON.stringify(components)} } as any);\n`,
  });
}

const marker = (file: string) => path.join(markers, file);

describe('prov cluster, through registered task services on a real target (local)', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    await mkdir(markers, { recursive: true });
    for (const name of ['marker-a', 'marker-b']) {
      const dir = await writeRegistrableExtension(path.join(work, name), {
        name, version: '1.2.0', type: 'taskserv', source: MARKER_SOURCE,
        permissions: `servers = ["local"]\nexec = ["/usr/bin/touch", "/usr/bin/rm", "/usr/bin/test"]`,
      });
      expect((await runProv(['register', dir], { env })).code).toBe(0);
      expect((await runProv(['grant', name, '--yes'], { env })).code).toBe(0);
    }
  });

  it('create deploys in dependency order, status records it, delete removes in reverse', async () => {
    const dir = await cluster('stack', [
      { name: 'db', taskserv: 'marker-a', version: '^1.0.0', config: { path: marker('db') } },
      { name: 'api', taskserv: 'marker-b', dependencies: ['db'], config: { path: marker('api') } },
      { name: 'web', taskserv: 'marker-a', dependencies: ['api'], config: { path: marker('web') } },
      { name: 'cache', taskserv: 'marker-b', config: { path: marker('cache') } },
    ]);
    const listed = await runProv(['cluster', 'list-components', dir, '--json'], { env });
    expect(listed.json.result.waves).toEqual([['cache', 'db'], ['api'], ['web']]);

    const created = await runProv(['cluster', 'create', dir, '--server', 'local', '--json'], { env });
    expect(created.json, created.stderr).toMatchObject({ ok: true, changed: true, result: { cluster: 'stack', operation: 'deploy', ok: true } });
    expect(created.json.result.components.map((component: { name: string; state: string }) => `${component.name} ${component.state}`)).toEqual(['cache deployed', 'db deployed', 'api deployed', 'web deployed']);
    for (const file of ['db', 'api', 'web', 'cache']) expect(existsSync(marker(file)), file).toBe(true);

    const status = await runProv(['cluster', 'status', dir, '--json'], { env });
    expect(status.json.result).toMatchObject({ cluster: 'stack', operation: 'deploy', state: 'succeeded', inFlight: [] });
    expect((await runProv(['cluster', 'component-status', dir, 'api', '--server', 'local', '--json'], { env })).json.result).toEqual({ present: true });

    // A second create changes nothing: every component is recorded as deployed with the same config.
    const again = await runProv(['cluster', 'create', dir, '--server', 'local', '--json'], { env });
    expect(again.json).toMatchObject({ ok: true, changed: false });

    const deleted = await runProv(['cluster', 'delete', dir, '--server', 'local'], { env });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stderr.indexOf('web: deleting')).toBeLessThan(deleted.stderr.indexOf('api: deleting'));
    expect(deleted.stderr.indexOf('api: deleting')).toBeLessThan(deleted.stderr.indexOf('db: deleting'));
    for (const file of ['db', 'api', 'web', 'cache']) expect(existsSync(marker(file)), file).toBe(false);
  });

  it('--check plans every component in order, and leaves no trace: no file, no record', async () => {
    const dir = await cluster('planned', [
      { name: 'db', taskserv: 'marker-a', config: { path: marker('p-db') } },
      { name: 'api', taskserv: 'marker-b', dependencies: ['db'], config: { path: marker('p-api') } },
    ]);
    const checked = await runProv(['cluster', 'create', dir, '--server', 'local', '--check', '--json'], { env });
    expect(checked.json, JSON.stringify(checked.json)).toMatchObject({ ok: true, changed: false, result: { cluster: 'planned', operation: 'deploy', waves: [['db'], ['api']], ok: true } });
    expect(checked.json.result.components.map((component: { name: string; operation: string; plan: unknown[] }) => [component.name, component.operation, component.plan.length])).toEqual([['db', 'install', 1], ['api', 'install', 1]]);
    expect(checked.json.plan.map((entry: { component: string; call: string; target: string }) => `${entry.component} ${entry.call} ${entry.target}`)).toEqual([
      `db servers.exec local: "/usr/bin/touch" "${marker('p-db')}"`,
      `api servers.exec local: "/usr/bin/touch" "${marker('p-api')}"`,
    ]);
    const human = await runProv(['cluster', 'delete', dir, '--server', 'local', '--check'], { env });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr).toContain('delete of cluster planned (check mode: nothing done, nothing recorded)\n  api (wave 1, uninstall): 1 planned call(s)');
    expect(existsSync(marker('p-db')) || existsSync(marker('p-api'))).toBe(false);
    const status = await runProv(['cluster', 'status', dir, '--json'], { env });
    expect(status.json.error.code).toBe('ClusterNotDeployed');
  });

  it('a component that fails rolls back what was deployed, and the report says so', async () => {
    const dir = await cluster('broken', [
      { name: 'base', taskserv: 'marker-a', config: { path: marker('base') } },
      { name: 'side', taskserv: 'marker-b', config: { path: marker('side') } },
      { name: 'top', taskserv: 'marker-b', dependencies: ['base'], config: { path: marker('top'), fail: true } },
    ]);
    const created = await runProv(['cluster', 'create', dir, '--server', 'local', '--json'], { env });
    expect(created.code).toBe(1);
    expect(created.json.error.code).toBe('ComponentFailed');
    expect(created.json.error.message).toMatch(/^Deploying cluster "broken" failed at component "top": marker-b install failed: Error: the install of .*top fails on purpose\n(.|\n)*; 2 deployed components were rolled back$/);
    expect(created.json.error.message).toContain('at src/index.ts:5:'); // the task service's own source position
    expect(created.json.error.details.report.components.map((component: { name: string; state: string }) => `${component.name} ${component.state}`)).toEqual(['base rolled-back', 'side rolled-back', 'top failed']);
    for (const file of ['base', 'side', 'top']) expect(existsSync(marker(file)), file).toBe(false);
    expect((await runProv(['cluster', 'status', dir, '--json'], { env })).json.result.state).toBe('failed');
  });

  it('a component whose task service is outside its range, or not registered, fails before anything runs on the server', async () => {
    const dir = await cluster('wrong', [{ name: 'db', taskserv: 'marker-a', version: '>=2.0.0', config: { path: marker('wrong') } }]);
    const created = await runProv(['cluster', 'create', dir, '--server', 'local', '--json'], { env });
    expect(created.json.error.details.report.components[0]).toMatchObject({ name: 'db', state: 'failed', error: { code: 'Usage', message: 'Component "db" needs marker-a >=2.0.0; 1.2.0 is registered' } });
    const missing = await cluster('missing', [{ name: 'nope', config: { path: marker('nope') } }]);
    const refused = await runProv(['cluster', 'create', missing, '--server', 'local', '--json'], { env });
    expect(refused.json.error.details.report.components[0]).toMatchObject({ name: 'nope', state: 'failed', error: { code: 'NotRegistered', message: 'No taskserv named "nope" is registered' } });
    expect(existsSync(marker('wrong'))).toBe(false);
  });

  it('a dependency cycle is refused with its path before anything is installed', async () => {
    const dir = await cluster('cyclic', [
      { name: 'a', taskserv: 'marker-a', dependencies: ['c'], config: { path: marker('ca') } },
      { name: 'b', taskserv: 'marker-a', dependencies: ['a'], config: { path: marker('cb') } },
      { name: 'c', taskserv: 'marker-a', dependencies: ['b'], config: { path: marker('cc') } },
    ]);
    const created = await runProv(['cluster', 'create', dir, '--server', 'local', '--json'], { env });
    expect(created.code).toBe(3);
    expect(created.json.error).toMatchObject({ code: 'ClusterInvalid', message: 'Components depend on each other in a cycle: a → c → b → a' });
  });
});

describe('prov cluster killed mid-deploy', { timeout: 120_000 }, () => {
  it('kill -9 while a component installs: status explains what was deployed and what was in flight, and create again finishes', async () => {
    const slow = await writeRegistrableExtension(path.join(work, 'marker-slow'), {
      name: 'marker-slow', version: '1.0.0', type: 'taskserv',
      // Holds its install for 20 s while the file named by \`hold\` exists.
      source: MARKER_SOURCE.replace("if (input.fail)", "if (input.hold && (await ctx.servers.exec(ctx.target.name, ['/usr/bin/test', '-e', input.hold])).code === 0) await ctx.sleep(20_000);\n    if (input.fail)"),
      permissions: `servers = ["local"]\nexec = ["/usr/bin/touch", "/usr/bin/rm", "/usr/bin/test"]`,
    });
    expect((await runProv(['register', slow], { env })).code).toBe(0);
    expect((await runProv(['grant', 'marker-slow', '--yes'], { env })).code).toBe(0);
    const dir = await cluster('killed', [
      { name: 'first', taskserv: 'marker-slow', config: { path: marker('k-first') } },
      { name: 'second', taskserv: 'marker-slow', dependencies: ['first'], config: { path: marker('k-second'), hold: marker('k-hold') } },
      { name: 'third', taskserv: 'marker-slow', dependencies: ['second'], config: { path: marker('k-third') } },
    ]);
    await mkdir(markers, { recursive: true });
    await writeFile(marker('k-hold'), '');
    const { spawn } = await import('node:child_process');
    const { PROV_BIN } = await import('../helpers/run-cli.js');
    const child = spawn(process.execPath, ['--no-node-snapshot', PROV_BIN, 'cluster', 'create', dir, '--server', 'local'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('second: installing')) resolve();
      });
      child.on('close', () => reject(new Error(`prov ended before the kill:\n${stderr}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));

    const status = await runProv(['cluster', 'status', dir, '--json'], { env });
    expect(status.json.result).toMatchObject({ operation: 'deploy', state: 'interrupted', inFlight: ['second'] });
    expect(status.json.result.components.map((component: { name: string; state: string }) => `${component.name} ${component.state}`)).toEqual(['first deployed', 'second installing', 'third not-started']);
    const human = await runProv(['cluster', 'status', dir], { env });
    expect(human.stdout).toMatch(/^killed: last deploy interrupted \(.*\); in flight when it stopped: second\n/);

    // The re-run: first is skipped, second and third installed (no longer held).
    await rm(marker('k-hold'));
    const again = await runProv(['cluster', 'create', dir, '--server', 'local', '--json'], { env });
    expect(again.json, again.stderr).toMatchObject({ ok: true });
    expect(again.json.result.components.map((component: { name: string; state: string; alreadyDeployed?: boolean }) => `${component.name} ${component.state}${component.alreadyDeployed ? ' (already)' : ''}`))
      .toEqual(['first deployed (already)', 'second deployed', 'third deployed']);
    for (const file of ['k-first', 'k-second', 'k-third']) expect(existsSync(marker(file)), file).toBe(true);
  });
});
