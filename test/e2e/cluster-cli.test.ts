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
    await ctx.log.info('touching ' + input.path);
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
  // upgrade, configure (scale) and restart leave a file that says what they were given.
  async upgrade(input: any, ctx: any) {
    if (input.failUpgrade) throw new Error('the upgrade of ' + input.path + ' fails on purpose');
    await ctx.servers.exec(ctx.target.name, ['/usr/bin/touch', input.path + '.v' + input.version]);
    return { upgraded: input.version };
  },
  async configure(input: any, ctx: any) {
    await ctx.servers.exec(ctx.target.name, ['/usr/bin/touch', input.path + '.replicas-' + input.replicas]);
    return { replicas: input.replicas };
  },
  async restart(input: any, ctx: any) {
    await ctx.servers.exec(ctx.target.name, ['/usr/bin/touch', input.path + '.restarted']);
    return null;
  },
  getCurrentVersion: none, getAvailableVersions: none, checkUpdates: none,
} as any);
`;

async function cluster(name: string, components: unknown[], version = '1.0.0'): Promise<string> {
  return writeRegistrableExtension(path.join(work, name), {
    name, version, type: 'cluster',
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
    // changed: what the plan would change, as for any operation under --check.
    expect(checked.json, JSON.stringify(checked.json)).toMatchObject({ ok: true, changed: true, result: { cluster: 'planned', operation: 'deploy', waves: [['db'], ['api']], ok: true } });
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

  it('upgrade, scale and restart-component go one component at a time, on the server the deploy recorded', async () => {
    const v1 = [
      { name: 'db', taskserv: 'marker-a', config: { path: marker('r-db'), version: '1' } },
      { name: 'api', taskserv: 'marker-b', dependencies: ['db'], config: { path: marker('r-api'), version: '1' }, resources: { replicas: 2 } },
      { name: 'old', taskserv: 'marker-a', config: { path: marker('r-old') } },
    ];
    let dir = await cluster('rolling', v1);
    expect((await runProv(['cluster', 'create', dir, '--server', 'tag:local', '--json'], { env })).json).toMatchObject({ ok: true });
    const human = await runProv(['cluster', 'status', dir], { env });
    expect(human.stdout).toMatch(/^rolling on local: last deploy succeeded/);
    expect(human.stdout).toMatch(/ {2}api +deployed +live: \{"present":true\}/);

    // Version 2 of the definition: db changes, api does not, cache is new, old is gone.
    dir = await cluster('rolling', [
      { ...v1[0], config: { path: marker('r-db'), version: '2' } },
      v1[1],
      { name: 'cache', taskserv: 'marker-b', dependencies: ['db'], config: { path: marker('r-cache') } },
    ], '2.0.0');
    const planned = await runProv(['cluster', 'upgrade', dir, '--check', '--json'], { env });
    expect(planned.json.result.components.map((step: { name: string; operation: string }) => `${step.operation} ${step.name}`)).toEqual(['upgrade db', 'install cache', 'uninstall old']);
    expect(existsSync(marker('r-db.v2')) || existsSync(marker('r-cache'))).toBe(false);
    expect((await runProv(['cluster', 'status', dir, '--json', '--no-live'], { env })).json.result.operation).toBe('deploy');

    const upgraded = await runProv(['cluster', 'upgrade', dir, '--json'], { env });
    expect(upgraded.json, upgraded.stderr).toMatchObject({ ok: true, changed: true, result: { operation: 'upgrade' } });
    expect(upgraded.json.result.components.map((component: { name: string; state: string }) => `${component.name} ${component.state}`)).toEqual(['db deployed', 'cache deployed', 'old deleted']);
    expect([existsSync(marker('r-db.v2')), existsSync(marker('r-cache')), existsSync(marker('r-old'))]).toEqual([true, true, false]);
    const nothing = await runProv(['cluster', 'upgrade', dir], { env });
    expect(nothing.stderr).toContain('✓ upgrade of cluster rolling: nothing to do, every component is as asked');

    const scaled = await runProv(['cluster', 'scale', dir, '--replicas', '3', '--json'], { env });
    expect(scaled.json.result.components).toEqual([{ name: 'api', wave: 1, state: 'deployed' }]);
    expect(existsSync(marker('r-api.replicas-3'))).toBe(true);
    const recorded = (await runProv(['cluster', 'status', dir, '--json', '--no-live'], { env })).json.result;
    expect(recorded.components.find((row: { name: string }) => row.name === 'api').component.config).toEqual({ path: marker('r-api'), version: '1', replicas: 3 });

    expect((await runProv(['cluster', 'restart-component', dir, 'api'], { env })).code).toBe(0);
    expect(existsSync(marker('r-api.restarted'))).toBe(true);
    const unknown = await runProv(['cluster', 'restart-component', dir, 'nope', '--json'], { env });
    expect(unknown.json.error).toMatchObject({ code: 'Usage', message: 'Component "nope" of cluster "rolling" is not installed' });

    // Another server than the one recorded is refused.
    const knownHosts = path.join(work, 'other_known_hosts');
    await writeFile(knownHosts, '[127.0.0.1]:2299 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHUnDl3iuoWfGMU0pkLBN0h9ltSq1GAmSk0A2ik7wLeJ\n');
    expect((await runProv(['server', 'add', 'other', '--host', '127.0.0.1', '--port', '2299', '--known-hosts', knownHosts], { env })).code).toBe(0);
    const elsewhere = await runProv(['cluster', 'scale', dir, '--replicas', '1', '--server', 'other', '--json'], { env });
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.json.error).toMatchObject({ code: 'ClusterElsewhere', message: 'Cluster "rolling" is deployed on local, not other' });

    // An upgrade that fails stops there: nothing after it is tried, nothing is rolled back.
    dir = await cluster('rolling', [
      { ...v1[0], config: { path: marker('r-db'), version: '3', failUpgrade: true } },
      { ...v1[1], config: { path: marker('r-api'), version: '3' } },
      { name: 'cache', taskserv: 'marker-b', dependencies: ['db'], config: { path: marker('r-cache') } },
    ], '3.0.0');
    const failed = await runProv(['cluster', 'upgrade', dir, '--json'], { env });
    expect(failed.code).toBe(1);
    expect(failed.json.error.message).toMatch(/^Upgrading cluster "rolling" failed at component "db": .*fails on purpose(.|\n)*; no component was changed; not tried: api$/);
    expect(existsSync(marker('r-api.v3'))).toBe(false);
    const after = (await runProv(['cluster', 'status', dir, '--json', '--no-live'], { env })).json.result;
    expect(after.components.map((row: { name: string; state: string }) => `${row.name} ${row.state}`)).toEqual(['db upgrade-failed', 'old deleted', 'api deployed', 'cache deployed']);
    expect((await runProv(['cluster', 'delete', dir], { env })).code).toBe(0);
  });

  it('on a terminal, progress is one line per component redrawn in place, left as the summary', async () => {
    const dir = await cluster('on-tty', [
      { name: 'db', taskserv: 'marker-a', config: { path: marker('t-db') } },
      { name: 'api', taskserv: 'marker-b', dependencies: ['db'], config: { path: marker('t-api') } },
    ]);
    const { spawn } = await import('node:child_process');
    const { PROV_BIN, REPO_ROOT } = await import('../helpers/run-cli.js');
    // script's pty has no size until told; a real terminal has one.
    const command = `stty rows 40 cols 120; ${[process.execPath, '--no-node-snapshot', PROV_BIN, 'cluster', 'create', dir, '--server', 'local'].map((part) => `'${part}'`).join(' ')}`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: REPO_ROOT, env: { ...process.env, ...env, TERM: 'xterm' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    expect(await new Promise((resolve) => child.on('close', resolve)), output).toBe(0);
    expect(output).toMatch(/\x1b\[\d*A/); // the cursor goes back up to redraw: not one line per event
    const plain = output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(plain).toContain('deploy of cluster on-tty');
    expect(plain).toMatch(/… db +installing/);
    expect(plain).toMatch(/✓ db +deployed/);
    expect(plain).toMatch(/✓ api +deployed/);
    expect(plain).not.toContain('wave 1:'); // the plain-lines display is for pipes
    // A task service's log line is written above the block, which is drawn again below it.
    const logged = plain.indexOf(`[info] marker-a: touching ${marker('t-db')}`);
    expect(logged).toBeGreaterThan(-1);
    expect(plain.indexOf('deploy of cluster on-tty', logged)).toBeGreaterThan(logged);
    expect(output).not.toContain('\x1b[?25l'); // the cursor is never hidden
    expect((await runProv(['cluster', 'delete', dir], { env })).code).toBe(0);
  });

  it('the cluster\'s own hooks run after prov\'s orchestration succeeded, on its server, with the report', async () => {
    const dir = await writeRegistrableExtension(path.join(work, 'hooked'), {
      name: 'hooked', version: '1.0.0', type: 'cluster',
      source: `import { defineCluster } from 'prov/sdk';
export default defineCluster({
  components: [{ name: 'db', taskserv: 'marker-a', config: { path: ${JSON.stringify(marker('h-db'))} } }],
  async create(input: any, ctx: any) { return { after: input.operation, on: ctx.target.name, states: input.components.map((c: any) => c.name + ' ' + c.state) }; },
  async status(_input: any, ctx: any) { return { healthy: true, on: ctx.target.name }; },
  async delete() { throw new Error('the delete hook fails on purpose'); },
} as any);
`,
    });
    const created = await runProv(['cluster', 'create', dir, '--server', 'local', '--json'], { env });
    expect(created.json, created.stderr).toMatchObject({ ok: true, result: { hook: { after: 'deploy', on: 'local', states: ['db deployed'] } } });
    const status = await runProv(['cluster', 'status', dir, '--json'], { env });
    expect(status.json.result.hook).toEqual({ ok: true, status: { healthy: true, on: 'local' } });
    expect(status.json.result.components[0].live).toEqual({ ok: true, status: { present: true } });
    const deleted = await runProv(['cluster', 'delete', dir, '--json'], { env });
    expect(deleted.code).toBe(1);
    expect(deleted.json.error.message).toMatch(/^The delete of cluster "hooked" is done, but its delete hook failed: .*the delete hook fails on purpose/);
    expect(existsSync(marker('h-db'))).toBe(false);
  });

  it('a hook gets the cluster\'s own grant, not its task services\': without one, what it tries on the server is denied', async () => {
    const dir = await writeRegistrableExtension(path.join(work, 'sneaky'), {
      name: 'sneaky', version: '1.0.0', type: 'cluster',
      source: `import { defineCluster } from 'prov/sdk';
export default defineCluster({
  components: [{ name: 'db', taskserv: 'marker-a', config: { path: ${JSON.stringify(marker('s-db'))} } }],
  async create(_input: any, ctx: any) { return ctx.servers.exec(ctx.target.name, ['/usr/bin/touch', ${JSON.stringify(marker('s-hook'))}]); },
} as any);
`,
      permissions: 'servers = ["local"]\nexec = ["/usr/bin/touch"]',
    });
    // The task service marker-a may touch files on local; the cluster asks for the same and is granted nothing.
    const created = await runProv(['cluster', 'create', dir, '--server', 'local', '--json'], { env });
    expect(created.json.error.code).toBe('PermissionDenied');
    expect(created.json.error.message).toBe('The create of cluster "sneaky" is done, but its create hook failed: Requires the server "local", which metadata.toml asks for but the operator has not granted');
    expect(existsSync(marker('s-db'))).toBe(true);
    expect(existsSync(marker('s-hook'))).toBe(false);
    expect((await runProv(['cluster', 'delete', dir], { env })).code).toBe(0);
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
    expect(human.stdout).toMatch(/^killed on local: last deploy interrupted \(.*\)\n  the prov process \(\d+\) that ran it is gone; in flight when it stopped: second\n  run prov cluster create .* again to resume it/);

    // The re-run: first is skipped, second and third installed (no longer held).
    await rm(marker('k-hold'));
    const again = await runProv(['cluster', 'create', dir, '--server', 'local', '--json'], { env });
    expect(again.json, again.stderr).toMatchObject({ ok: true });
    expect(again.json.result.components.map((component: { name: string; state: string; alreadyDeployed?: boolean }) => `${component.name} ${component.state}${component.alreadyDeployed ? ' (already)' : ''}`))
      .toEqual(['first deployed (already)', 'second deployed', 'third deployed']);
    for (const file of ['k-first', 'k-second', 'k-third']) expect(existsSync(marker(file)), file).toBe(true);
  });
});
