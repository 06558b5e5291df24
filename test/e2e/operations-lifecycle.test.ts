/**
 * Issue 8's whole lifecycle, from the CLI, the way an operator runs it:
 * servers created by the hetzner provider against an emulator of the
 * Hetzner Cloud API whose servers are real machines (systemd-nspawn
 * targets in veth mode: real systemd, real sshd, an address of their own),
 * the reference task services extensions/containerd and extensions/registry
 * installed on them from a mirror of their release downloads (Debian's real
 * binaries), and the cluster extensions/buildkit-cluster deployed, broken,
 * killed, resumed and deleted. prov reaches the machines only through the
 * inventory and SSH; the test looks at them with its own eyes
 * (`emulator.machine(id).exec`, nsenter) after each step.
 */
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HetznerCloudEmulator, nspawnMachines } from '../emulators/hetzner-cloud/index.js';
import { startReleaseMirror, type ReleaseMirror } from '../emulators/release-mirror/index.ts';
import { hetznerWorkspace, type HetznerWorkspace } from '../helpers/hetzner-workspace.js';
import { PROV_BIN, REPO_ROOT, runProv, type CliResult } from '../helpers/run-cli.js';
import { hostAddress } from '../helpers/host-address.js';
import { targetSupport } from '../targets/require-target.js';

const run = promisify(execFile);
const support = await targetSupport();

interface PlanEntry {
  call: string;
  target: string;
  summary: string;
  changes: boolean;
}

describe.skipIf(!support.available)(`operations end to end: provider → task services → cluster on real machines${support.available ? '' : ` (skipped: ${support.reason})`}`, { timeout: 300_000 }, () => {
  let work: string;
  let emulator: HetznerCloudEmulator;
  let mirror: ReleaseMirror;
  let workspace: HetznerWorkspace;
  let cluster: string;
  let identity: string;
  let publicKey: string;
  let env: Record<string, string>;

  const prov = (args: string[], timeoutMs = 240_000): Promise<CliResult> => runProv(args, { env, timeoutMs });
  const expectOk = (result: CliResult) => {
    expect({ code: result.code, error: result.json?.error, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, error: undefined, stderr: '' });
    return result.json;
  };
  /** A mirror base the machines reach: the host's own address (their default route goes through it). */
  const mirrorFor = (project: 'containerd' | 'registry') => mirror.mirrorFor(project).replace(/^http:\/\/[^/]+/, `http://${hostAddress()}:${new URL(mirror.origin).port}`);

  /** Runs a command in a machine the emulator created, as root, without prov (nsenter). */
  async function onMachine(serverId: string, command: string): Promise<{ code: number; stdout: string }> {
    const machine = emulator.machine(Number(serverId));
    if (machine === undefined) throw new Error(`no machine for server ${serverId}`);
    return machine.exec(['sh', '-c', command]);
  }
  const isActive = async (id: string, unit: string) => (await onMachine(id, `systemctl is-active ${unit}`)).stdout.trim();
  /** systemd knows the unit at all: `systemctl cat` fails once its file is gone and the daemon reloaded. */
  const unitKnown = async (id: string, unit: string) => (await onMachine(id, `systemctl cat ${unit} >/dev/null 2>&1`)).code === 0;

  async function createServer(hostname: string, ...flags: string[]): Promise<{ id: string; host: string }> {
    const created = expectOk(await prov(['provider', 'create-server', 'hetzner', '--input', JSON.stringify({ hostname, plan: 'cx22', zone: 'fsn1', ssh_keys: [publicKey], user: 'root' }),
      '--wait', '--poll', '0.5', '--timeout', '120', '--identity', identity, '--json', ...flags]));
    return { id: created.result.id, host: created.result.ssh?.host ?? created.result.addresses?.public_ipv4 };
  }

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'prov-lifecycle-'));
    identity = path.join(work, 'operator_key');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'operator', '-f', identity]);
    publicKey = (await readFile(`${identity}.pub`, 'utf8')).trim();
    emulator = await HetznerCloudEmulator.start({ machines: nspawnMachines() });
    // The operator's key, registered with the cloud under its comment (the provider names keys by comment).
    emulator.addSshKey('operator', publicKey);
    mirror = await startReleaseMirror({ host: '0.0.0.0' });
    workspace = await hetznerWorkspace(emulator);
    env = { ...workspace.env, PROV_HOME: path.join(work, 'home') };

    // The reference extensions, registered and granted as the operator would.
    expectOk(await prov(['register', workspace.ext, '--json']));
    expectOk(await prov(['grant', 'hetzner', ...workspace.grant, '--json']));
    for (const name of ['containerd', 'registry']) {
      expectOk(await prov(['register', path.join(REPO_ROOT, 'extensions', name), '--json']));
      expectOk(await prov(['grant', name, '--yes', '--json']));
    }
    // The cluster as a site would keep it: its settings name the release mirror inside its network.
    cluster = path.join(work, 'buildkit-cluster');
    await cp(path.join(REPO_ROOT, 'extensions', 'buildkit-cluster'), cluster, { recursive: true, filter: (source) => !['dist', 'node_modules'].includes(path.basename(source)) });
    await writeFile(path.join(cluster, 'src', 'settings.ts'), `import type { SiteSettings } from './components.js';
export const SETTINGS: SiteSettings = { releaseMirrors: { containerd: ${JSON.stringify(mirrorFor('containerd'))}, registry: ${JSON.stringify(mirrorFor('registry'))} } };
`);
    expectOk(await prov(['register', cluster, '--json']));
    expectOk(await prov(['grant', 'buildkit-cluster', '--yes', '--json']));
  }, 600_000);

  afterAll(async () => {
    await emulator?.stop();
    await mirror?.close();
    await workspace?.cleanup();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  }, 120_000);

  it('create a server → install a task service → deploy the cluster → status → delete it all', async () => {
    // --check first: nothing reaches the cloud, nothing is recorded.
    const posts = emulator.count('POST', '/v1/servers');
    const planned = expectOk(await prov(['provider', 'create-server', 'hetzner', '--input', JSON.stringify({ hostname: 'build-1', plan: 'cx22', zone: 'fsn1', ssh_keys: [publicKey], user: 'root' }), '--check', '--json']));
    expect(planned.plan.map((entry: PlanEntry) => entry.call)).toContain('http.fetch');
    expect(emulator.count('POST', '/v1/servers')).toBe(posts);
    expect(expectOk(await prov(['server', 'list', '--json'])).result.map((server: { name: string }) => server.name)).toEqual(['local']);

    const server = await createServer('build-1', '--tag', 'build');
    const recorded = expectOk(await prov(['server', 'list', '--json'])).result.find((entry: { name: string }) => entry.name === 'build-1');
    expect(recorded).toMatchObject({ host: server.host, port: 22, user: 'root', identity, tags: ['provider-hetzner', 'build'], source: 'provider:hetzner' });
    expect(recorded.host).toMatch(/^10\.213\.\d+\.2$/);
    expect(recorded.host_keys.length).toBeGreaterThan(0);

    // A task service on it: installed, active, and a second install changes nothing.
    const registryInput = JSON.stringify({ mirror: mirrorFor('registry'), port: 5000 });
    const checked = expectOk(await prov(['taskserv', 'install', 'registry', '--server', 'build-1', '--input', registryInput, '--check', '--json']));
    expect(checked.changed).toBe(true); // under --check: it would change something
    expect(checked.plan.some((entry: PlanEntry) => entry.changes)).toBe(true);
    expect(await unitKnown(server.id, 'registry.service')).toBe(false);
    const installed = expectOk(await prov(['taskserv', 'install', 'registry', '--server', 'tag:build', '--input', registryInput, '--json']));
    expect(installed.result).toMatchObject([{ server: 'build-1', changed: true }]);
    expect(await isActive(server.id, 'registry.service')).toBe('active');
    const again = expectOk(await prov(['taskserv', 'install', 'registry', '--server', 'build-1', '--input', registryInput, '--json']));
    expect(again.changed).toBe(false);
    expectOk(await prov(['taskserv', 'uninstall', 'registry', '--server', 'build-1', '--json']));
    expect(await unitKnown(server.id, 'registry.service')).toBe(false);

    // The cluster: registry, then containerd pulling through it.
    const clusterChecked = expectOk(await prov(['cluster', 'create', 'buildkit-cluster', '--server', 'build-1', '--check', '--json']));
    expect(clusterChecked.result.waves).toEqual([['registry'], ['containerd']]);
    expect(await unitKnown(server.id, 'registry.service')).toBe(false);
    expect((await prov(['cluster', 'status', 'buildkit-cluster', '--json'])).json.error.code).toBe('ClusterNotDeployed');

    const deployed = expectOk(await prov(['cluster', 'create', 'buildkit-cluster', '--server', 'build-1', '--json']));
    expect(deployed.result.components.map((component: { name: string; state: string }) => `${component.name} ${component.state}`)).toEqual(['registry deployed', 'containerd deployed']);
    expect(await isActive(server.id, 'registry.service')).toBe('active');
    expect(await isActive(server.id, 'containerd.service')).toBe('active');
    expect((await onMachine(server.id, 'ctr --address /run/containerd/containerd.sock version')).code).toBe(0);

    const status = expectOk(await prov(['cluster', 'status', 'buildkit-cluster', '--json']));
    expect(status.result).toMatchObject({ cluster: 'buildkit-cluster', server: 'build-1', operation: 'deploy', state: 'succeeded' });
    expect(status.result.components.map((row: { name: string; live: { ok: boolean } }) => [row.name, row.live.ok])).toEqual([['registry', true], ['containerd', true]]);
    expect(status.result.hook).toMatchObject({ ok: true, status: { healthy: true } });
    expect(expectOk(await prov(['cluster', 'component-status', 'buildkit-cluster', 'containerd', '--json'])).result).toMatchObject({ state: 'active' });

    const deleted = expectOk(await prov(['cluster', 'delete', 'buildkit-cluster', '--json']));
    expect(deleted.result.components.map((component: { name: string; state: string }) => `${component.name} ${component.state}`)).toEqual(['registry deleted', 'containerd deleted']);
    expect(await unitKnown(server.id, 'containerd.service')).toBe(false);
    expect(await unitKnown(server.id, 'registry.service')).toBe(false);

    expectOk(await prov(['provider', 'delete-server', 'hetzner', '--input', JSON.stringify({ id: server.id }), '--wait', '--poll', '0.5', '--json']));
    expect(expectOk(await prov(['server', 'list', '--json'])).result.map((entry: { name: string }) => entry.name)).toEqual(['local']);
    expect(emulator.machine(Number(server.id))?.running ?? false).toBe(false);
  });

  it('a component failing mid-deploy rolls back what was deployed: its units really gone', async () => {
    const server = await createServer('build-2');
    // A broken release download for containerd (wave 2): registry (wave 1) was deployed and must be rolled back.
    mirror.failNext(mirror.pathOf('containerd', mirror.versions('containerd').at(-1)!, 'tarball'), 404); // curl retries a 5xx
    const failed = await prov(['cluster', 'create', 'buildkit-cluster', '--server', 'build-2', '--json']);
    expect(failed.code).toBe(1);
    expect(failed.json.error.code).toBe('ComponentFailed');
    expect(failed.json.error.message).toMatch(/^Deploying cluster "buildkit-cluster" failed at component "containerd": .*; 1 deployed component was rolled back$/s);
    expect(failed.json.error.details.report.components.map((component: { name: string; state: string }) => `${component.name} ${component.state}`)).toEqual(['registry rolled-back', 'containerd failed']);
    expect(await unitKnown(server.id, 'registry.service')).toBe(false);
    expect(await unitKnown(server.id, 'containerd.service')).toBe(false);
    expect((await onMachine(server.id, 'test -e /usr/local/bin/registry || test -e /usr/local/bin/containerd')).code).not.toBe(0);
    expect(expectOk(await prov(['cluster', 'status', 'buildkit-cluster', '--json', '--no-live'])).result.state).toBe('failed');

    // SIGKILL mid-deploy (containerd's download made slow): status explains, a re-run finishes.
    mirror.slow(20_000);
    const child = spawn(process.execPath, ['--no-node-snapshot', PROV_BIN, 'cluster', 'create', 'buildkit-cluster', '--server', 'build-2'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('containerd: installing')) resolve();
      });
      child.on('close', () => reject(new Error(`prov ended before the kill:\n${stderr}`)));
    });
    // Let the download start, so the kill lands in the middle of the install.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    mirror.slow(0);

    const interrupted = expectOk(await prov(['cluster', 'status', 'buildkit-cluster', '--json', '--no-live'])).result;
    expect(interrupted).toMatchObject({ operation: 'deploy', state: 'interrupted', inFlight: ['containerd'], server: 'build-2' });
    expect(interrupted.components.map((row: { name: string; state: string }) => `${row.name} ${row.state}`)).toEqual(['registry deployed', 'containerd installing']);
    const human = await prov(['cluster', 'status', 'buildkit-cluster', '--no-live']);
    expect(human.stdout).toContain('in flight when it stopped: containerd');
    expect(human.stdout).toContain('run prov cluster create buildkit-cluster again to resume it');

    const resumed = expectOk(await prov(['cluster', 'create', 'buildkit-cluster', '--json']));
    expect(resumed.result.components.map((component: { name: string; state: string; alreadyDeployed?: boolean }) => `${component.name} ${component.state}${component.alreadyDeployed ? ' (already)' : ''}`))
      .toEqual(['registry deployed (already)', 'containerd deployed']);
    expect(await isActive(server.id, 'registry.service')).toBe('active');
    expect(await isActive(server.id, 'containerd.service')).toBe('active');

    // --check on the rest prints what each would do and leaves everything as it is.
    const wouldChange: [string[], boolean][] = [
      [['cluster', 'delete', 'buildkit-cluster'], true],
      [['cluster', 'upgrade', 'buildkit-cluster'], false], // deployed as defined: nothing to upgrade
      [['cluster', 'restart-component', 'buildkit-cluster', 'containerd'], true],
      [['taskserv', 'uninstall', 'containerd', '--server', 'build-2'], true],
    ];
    for (const [args, changes] of wouldChange) {
      const checked = await prov([...args, '--check', '--json']);
      expect(checked.json, checked.stderr).toMatchObject({ ok: true, changed: changes });
      expect(checked.json.plan.length > 0, args.join(' ')).toBe(changes);
    }
    expect(expectOk(await prov(['cluster', 'status', 'buildkit-cluster', '--json', '--no-live'])).result).toMatchObject({ operation: 'deploy', state: 'succeeded' });
    expect(await isActive(server.id, 'containerd.service')).toBe('active');

    expectOk(await prov(['cluster', 'delete', 'buildkit-cluster', '--json']));
    expect(await unitKnown(server.id, 'containerd.service')).toBe(false);
    expectOk(await prov(['provider', 'delete-server', 'hetzner', '--input', JSON.stringify({ id: server.id }), '--wait', '--poll', '0.5', '--json']));
  });
});
