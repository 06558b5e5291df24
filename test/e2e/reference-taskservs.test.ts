/**
 * The reference task services extensions/containerd and extensions/registry,
 * and the cluster extensions/buildkit-cluster made of them, against a real
 * server: a systemd-nspawn target (test/targets) that downloads real
 * containerd and registry binaries from the release mirror
 * (test/emulators/release-mirror: Debian's builds, packed as the upstream
 * GitHub releases). prov reaches the target only through the inventory and
 * SSH; the test looks at it with its own eyes (target.ssh) after each step.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReleaseMirror, type ReleaseMirror } from '../emulators/release-mirror/index.ts';
import { PROV_BIN, REPO_ROOT, runProv, type CliResult } from '../helpers/run-cli.js';
import { targetSupport } from '../targets/require-target.js';
import { upTarget, type Target } from '../targets/systemd-target.js';

const SERVER = 'refts';
const SSH_PORT = 2271;
const MIRROR_PORT = 2272;
/** The target shares the host's network: ports nothing else here uses. */
const REGISTRY_PORT = 2273;
const CLUSTER_REGISTRY_PORT = 2274;

/** Exactly what each metadata.toml asks for, granted for this one server. */
const GRANTS: Record<'containerd' | 'registry', Record<string, string[]>> = {
  containerd: {
    server: [SERVER],
    exec: ['/usr/bin/curl', '/usr/bin/sha256sum', '/usr/bin/tar', '/usr/local/bin/ctr'],
    systemctl: ['containerd.service'],
    'remote-read': ['/var/lib/prov-containerd', '/etc/containerd', '/etc/systemd/system/containerd.service'],
    'remote-write': [
      '/var/lib/prov-containerd', '/etc/containerd', '/etc/systemd/system/containerd.service',
      ...['containerd', 'containerd-shim', 'containerd-shim-runc-v1', 'containerd-shim-runc-v2', 'containerd-stress', 'ctr'].map((binary) => `/usr/local/bin/${binary}`),
    ],
  },
  registry: {
    server: [SERVER],
    exec: ['/usr/bin/curl', '/usr/bin/sha256sum', '/usr/bin/tar'],
    systemctl: ['registry.service'],
    'remote-read': ['/var/lib/prov-registry', '/etc/distribution', '/etc/systemd/system/registry.service'],
    'remote-write': ['/var/lib/prov-registry', '/etc/distribution', '/etc/systemd/system/registry.service', '/usr/local/bin/registry'],
  },
};
const grantFlags = (grant: Record<string, string[]>) => Object.entries(grant).flatMap(([key, values]) => values.flatMap((value) => [`--allow-${key}`, value]));

/** Everything either task service may leave on a server: after an uninstall or a failed install, none of it may be there. */
const CONTAINERD_FILES = ['/usr/local/bin/containerd', '/usr/local/bin/ctr', '/usr/local/bin/containerd-shim-runc-v2', '/etc/containerd', '/etc/systemd/system/containerd.service', '/var/lib/prov-containerd'];
const REGISTRY_FILES = ['/usr/local/bin/registry', '/etc/distribution', '/etc/systemd/system/registry.service', '/var/lib/prov-registry'];

/** Skips, saying why, where targets cannot boot; fails instead under PROV_REQUIRE_TARGETS=1. */
const support = await targetSupport();

interface PlanEntry {
  call: string;
  target: string;
  summary: string;
  changes: boolean;
}

describe.skipIf(!support.available)(`containerd and registry task services, and their cluster, on a systemd target${support.available ? '' : ` (skipped: ${support.reason})`}`, () => {
  let target: Target;
  let mirror: ReleaseMirror;
  let work: string;
  let provHome: string;

  const prov = (args: string[]): Promise<CliResult> => runProv(args, { env: { PROV_HOME: provHome }, timeoutMs: 180_000 });
  /** `prov taskserv OP NAME --server refts`: the registered task service, with the grant recorded in the policy. */
  const taskserv = (name: string, operation: string, input?: unknown, ...args: string[]) =>
    prov(['taskserv', operation, name, '--server', SERVER, '--json', ...(input === undefined ? [] : ['--input', JSON.stringify(input)]), ...args]);
  /** One JSON document on stdout, ok: true; on failure the assertion shows stderr and the error. */
  const expectOk = (run: CliResult) => {
    expect({ code: run.code, error: run.json?.error, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, error: undefined, stderr: '' });
    expect(run.json.ok).toBe(true);
    return run.json;
  };
  const sh = async (command: string) => target.ssh(command, { allowFailure: true });
  const present = async (files: string[]) => {
    const found: string[] = [];
    for (const file of files) if ((await sh(`test -e ${file}`)).code === 0) found.push(file);
    return found;
  };
  const isActive = async (unit: string) => (await sh(`systemctl is-active ${unit}`)).stdout.trim();
  /** systemd knows the unit at all: `systemctl cat` fails once its file is gone and the daemon reloaded. */
  const unitKnown = async (unit: string) => (await sh(`systemctl cat ${unit}`)).code === 0;
  const ctrVersion = async () => sh('ctr --address /run/containerd/containerd.sock version');
  const registryAnswers = async (port: number) => (await sh(`curl -sS -o /dev/null -w '%{http_code}' http://127.0.0.1:${port}/v2/`)).stdout.trim();
  const planned = (json: { plan: PlanEntry[] }, pattern: RegExp) => json.plan.filter((entry) => pattern.test(`${entry.call} ${entry.target} ${entry.summary}`));

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'prov-refts-'));
    provHome = path.join(work, 'home');
    mirror = await startReleaseMirror({ port: MIRROR_PORT });
    target = await upTarget(SERVER, SSH_PORT);
    expectOk(await prov(['server', 'add', SERVER, '--host', target.host, '--port', String(target.port), '--user', 'root', '--identity', target.identity, '--known-hosts', target.knownHosts, '--json']));
    for (const name of ['containerd', 'registry'] as const) {
      expectOk(await prov(['register', path.join(REPO_ROOT, 'extensions', name), '--json']));
      expectOk(await prov(['grant', name, '--json', ...grantFlags(GRANTS[name])]));
    }
  }, 240_000);

  afterAll(async () => {
    await target?.down();
    await mirror?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  }, 60_000);

  describe('containerd', () => {
    const [OLD, NEW] = ['1.6.20', '1.7.24'];
    const input = () => ({ mirror: mirror.mirrorFor('containerd'), version: OLD });

    it('install --check plans the download, the checksum, the unpacking and the files, and touches nothing', async () => {
      const requests = mirror.requests.length;
      const json = expectOk(await taskserv('containerd', 'install', input(), '--check'));
      expect(json.result).toMatchObject({ service: 'containerd.service', version: OLD, status: 'planned' });
      expect(json.changed).toBe(true);
      const tarball = `${mirror.mirrorFor('containerd')}/v${OLD}/containerd-${OLD}-linux-amd64.tar.gz`;
      expect(planned(json, /servers\.exec.*\/usr\/bin\/curl/).map((entry) => entry.target)).toEqual([
        expect.stringContaining(`"-o" "/var/lib/prov-containerd/download/containerd-${OLD}-linux-amd64.tar.gz" "${tarball}"`),
        expect.stringContaining(`"${tarball}.sha256sum"`),
      ]);
      expect(planned(json, /\/usr\/bin\/sha256sum/)).toHaveLength(1);
      expect(planned(json, /"\/usr\/bin\/tar" "-xzf" .* "-C" "\/usr\/local"/)).toHaveLength(1);
      expect(planned(json, /servers\.upload/).map((entry) => entry.target)).toEqual([
        `${SERVER}:/var/lib/prov-containerd/release.json`, `${SERVER}:/etc/containerd/config.toml`, `${SERVER}:/etc/systemd/system/containerd.service`,
      ]);
      expect(planned(json, /systemctl (daemon-reload|enable|start)/)).toHaveLength(3);

      expect(mirror.requests.length).toBe(requests); // nothing was downloaded, not even the checksum
      expect(await present(CONTAINERD_FILES)).toEqual([]);
      expect(await unitKnown('containerd.service')).toBe(false);
    }, 180_000);

    it('install downloads the release, checks it, unpacks it, and containerd runs: active, and ctr version answers', async () => {
      const json = expectOk(await taskserv('containerd', 'install', input()));
      expect(json.changed).toBe(true);
      expect(json.result).toMatchObject({ status: 'running', version: OLD, health: { healthy: true, server_version: expect.stringMatching(/^1\.6\.20/) } });
      expect(json.result.steps).toEqual([
        `download ${mirror.mirrorFor('containerd')}/v${OLD}/containerd-${OLD}-linux-amd64.tar.gz`,
        expect.stringMatching(/^verify sha256 [0-9a-f]{64}$/),
        'unpack containerd, containerd-shim, containerd-shim-runc-v1, containerd-shim-runc-v2, ctr into /usr/local/bin',
        'upload /var/lib/prov-containerd/release.json', 'upload /etc/containerd/config.toml', 'upload /etc/systemd/system/containerd.service',
        'daemon-reload', 'enable', 'start',
      ]);
      expect(mirror.requests).toContain(`200 ${mirror.pathOf('containerd', OLD, 'checksum')}`);

      expect(await isActive('containerd.service')).toBe('active');
      expect((await sh('systemctl is-enabled containerd.service')).stdout.trim()).toBe('enabled');
      const version = await ctrVersion();
      expect(version.code).toBe(0);
      expect(version.stdout).toMatch(/Server:\s*\n\s*Version:\s*1\.6\.20/);
      // The download is gone; what stays is the receipt.
      expect((await sh('ls -A /var/lib/prov-containerd')).stdout.trim()).toBe('release.json');
    }, 180_000);

    it('a second install changes nothing: no download, no write, no probe', async () => {
      const requests = mirror.requests.length;
      const json = expectOk(await taskserv('containerd', 'install', input()));
      expect(json.result).toMatchObject({ status: 'unchanged', steps: [] });
      expect(json.changed).toBe(false);
      expect(mirror.requests.length).toBe(requests);
      expect(await isActive('containerd.service')).toBe('active');
    }, 180_000);

    it('status reports active and healthy, with the installed binaries', async () => {
      const json = expectOk(await taskserv('containerd', 'status'));
      expect(json.result).toMatchObject({
        service: 'containerd.service', version: OLD, state: 'active', healthy: true,
        details: { installed: true, enabled: 'enabled', config_file: '/etc/containerd/config.toml', binaries: expect.arrayContaining(['/usr/local/bin/containerd', '/usr/local/bin/ctr']) },
      });
      const updates = expectOk(await taskserv('containerd', 'check-updates'));
      expect(updates.result).toEqual({ current: OLD, latest: NEW, update_available: true });
      expect(updates.changed).toBe(false);
    }, 180_000);

    it('upgrade installs the newer release in place and restarts: ctr version reports it', async () => {
      const json = expectOk(await taskserv('containerd', 'upgrade'));
      expect(json.result).toMatchObject({ from: OLD, to: NEW, status: 'running', health: { healthy: true } });
      expect(json.result.steps).toEqual(expect.arrayContaining(['upload /etc/systemd/system/containerd.service', 'daemon-reload', 'restart']));
      expect((await ctrVersion()).stdout).toMatch(/Server:\s*\n\s*Version:\s*1\.7\.24/);
      expect(expectOk(await taskserv('containerd', 'get-current-version')).result).toBe(NEW);
    }, 180_000);

    it('uninstall --check plans the removals and leaves containerd running', async () => {
      const json = expectOk(await taskserv('containerd', 'uninstall', undefined, '--check'));
      expect(json.result.status).toBe('planned');
      expect(planned(json, /servers\.remove/).map((entry) => entry.target)).toEqual(expect.arrayContaining([
        `${SERVER}:/etc/systemd/system/containerd.service`, `${SERVER}:/usr/local/bin/containerd`, `${SERVER}:/usr/local/bin/ctr`, `${SERVER}:/etc/containerd/config.toml`,
      ]));
      expect(planned(json, /systemctl (stop|disable)/)).toHaveLength(2);
      expect(await isActive('containerd.service')).toBe('active');
      expect(await present(CONTAINERD_FILES)).toEqual(CONTAINERD_FILES);
    }, 180_000);

    it('uninstall stops it and removes the unit, the binaries, the config and the receipt: systemd no longer knows the unit', async () => {
      const json = expectOk(await taskserv('containerd', 'uninstall'));
      expect(json.result).toMatchObject({ status: 'removed' });
      expect(json.result.steps.slice(0, 4)).toEqual(['stop', 'disable', 'remove /etc/systemd/system/containerd.service', 'daemon-reload']);
      expect(await unitKnown('containerd.service')).toBe(false);
      expect(await present(CONTAINERD_FILES)).toEqual([]);
      expect((await sh('ls /usr/local/bin')).stdout).not.toMatch(/containerd|ctr/);
      expect(expectOk(await taskserv('containerd', 'get-current-version')).result).toBeNull();
      // Again: nothing left to do.
      const again = expectOk(await taskserv('containerd', 'uninstall'));
      expect([again.result.status, again.changed]).toEqual(['absent', false]);
    }, 180_000);
  });

  describe('registry', () => {
    const [OLD, NEW] = ['2.8.2', '2.8.3'];
    const input = () => ({ mirror: mirror.mirrorFor('registry'), version: OLD, port: REGISTRY_PORT });

    it('install --check plans it and touches nothing', async () => {
      const requests = mirror.requests.length;
      const json = expectOk(await taskserv('registry', 'install', input(), '--check'));
      expect(json.result).toMatchObject({ service: 'registry.service', version: OLD, status: 'planned', url: `http://127.0.0.1:${REGISTRY_PORT}/v2/` });
      expect(planned(json, /"\/usr\/bin\/tar" "-xzf" .* "-C" "\/usr\/local\/bin" .*"registry"/)).toHaveLength(1);
      const config = json.plan.find((entry: PlanEntry & { diff?: string }) => entry.target === `${SERVER}:/etc/distribution/config.yml`);
      expect(config.diff).toContain(`+  addr: 127.0.0.1:${REGISTRY_PORT}\n`);
      expect(mirror.requests.length).toBe(requests);
      expect(await present(REGISTRY_FILES)).toEqual([]);
    }, 180_000);

    it('install runs the registry: active, and GET /v2/ answers 200 on the target', async () => {
      const json = expectOk(await taskserv('registry', 'install', input()));
      expect(json.result).toMatchObject({ status: 'running', version: OLD, health: { healthy: true } });
      expect(await isActive('registry.service')).toBe('active');
      expect(await registryAnswers(REGISTRY_PORT)).toBe('200');
      expect((await sh('/usr/local/bin/registry --version')).stdout).toContain('2.8.2');
    }, 180_000);

    it('a second install changes nothing; status is healthy', async () => {
      const again = expectOk(await taskserv('registry', 'install', input()));
      expect([again.result.status, again.changed]).toEqual(['unchanged', false]);
      const status = expectOk(await taskserv('registry', 'status'));
      expect(status.result).toMatchObject({ version: OLD, state: 'active', healthy: true, details: { port: REGISTRY_PORT, url: `http://127.0.0.1:${REGISTRY_PORT}/v2/` } });
    }, 180_000);

    it('upgrade replaces the binary and restarts it', async () => {
      const json = expectOk(await taskserv('registry', 'upgrade', { version: NEW }));
      expect(json.result).toMatchObject({ from: OLD, to: NEW, status: 'running' });
      expect((await sh('/usr/local/bin/registry --version')).stdout).toContain('2.8.3');
      expect(await registryAnswers(REGISTRY_PORT)).toBe('200');
    }, 180_000);

    it('uninstall --check leaves it running; uninstall removes it all', async () => {
      const checked = expectOk(await taskserv('registry', 'uninstall', undefined, '--check'));
      expect(checked.result.status).toBe('planned');
      expect(await isActive('registry.service')).toBe('active');

      const json = expectOk(await taskserv('registry', 'uninstall'));
      expect(json.result.status).toBe('removed');
      expect(await unitKnown('registry.service')).toBe(false);
      expect(await present(REGISTRY_FILES)).toEqual([]);
      expect(await registryAnswers(REGISTRY_PORT)).not.toBe('200');
    }, 180_000);
  });

  describe('broken artifacts and interrupted installs', () => {
    it('a wrong sha256 fails the install with both checksums named, and leaves nothing behind', async () => {
      const wrong = '0'.repeat(64);
      const run = await taskserv('containerd', 'install', { mirror: mirror.mirrorFor('containerd'), version: '1.7.24', sha256: wrong });
      expect(run.code).toBe(1);
      expect(run.json.error.code).toBe('OperationFailed');
      expect(run.json.error.message).toMatch(new RegExp(`^containerd install failed: Error: containerd 1\\.7\\.24: containerd-1\\.7\\.24-linux-amd64\\.tar\\.gz from http://\\S+ has sha256 [0-9a-f]{64}, but the sha256 input says ${wrong}; nothing was installed \\(the download was removed\\)`));
      expect(await present(CONTAINERD_FILES)).toEqual([]);
      expect(await unitKnown('containerd.service')).toBe(false);
    }, 180_000);

    it('a failed download of the checksum file fails the install, and leaves nothing behind', async () => {
      // A missing checksum file (a 5xx would be retried by curl --retry): the install must not go on without it.
      mirror.failNext(mirror.pathOf('registry', '2.8.3', 'checksum'), 404);
      const run = await taskserv('registry', 'install', { mirror: mirror.mirrorFor('registry'), port: REGISTRY_PORT });
      expect(run.code).toBe(1);
      expect(run.json.error.message).toMatch(/^registry install failed: Error: downloading http:\/\/\S+\/v2\.8\.3\/registry_2\.8\.3_linux_amd64\.tar\.gz\.sha256 on refts failed \(\/usr\/bin\/curl exited with 22\): curl: \(22\) The requested URL returned error: 404/);
      expect(mirror.requests).toContain(`404 ${mirror.pathOf('registry', '2.8.3', 'checksum')}`);
      expect(await present(REGISTRY_FILES)).toEqual([]);
    }, 180_000);

    it('prov killed (SIGKILL) in the middle of the download: nothing is installed, and the next install finishes the job', async () => {
      mirror.slow(30_000);
      const tarball = `200 ${mirror.pathOf('containerd', '1.7.24', 'tarball')}`;
      const before = mirror.requests.filter((line) => line === tarball).length;
      const child = spawn(process.execPath, ['--no-node-snapshot', PROV_BIN, 'taskserv', 'install', 'containerd', '--server', SERVER, '--input', JSON.stringify({ mirror: mirror.mirrorFor('containerd') })], {
        cwd: REPO_ROOT, env: { ...process.env, PROV_HOME: provHome }, stdio: 'ignore',
      });
      let exited = false;
      const closed = new Promise((resolve) => child.on('close', resolve)).then(() => (exited = true));
      try {
        // The download has started once the mirror has begun to send the tarball.
        while (!exited && mirror.requests.filter((line) => line === tarball).length === before) await new Promise((resolve) => setTimeout(resolve, 100));
        expect(exited).toBe(false);
      } finally {
        child.kill('SIGKILL');
        await closed;
        mirror.slow(0);
      }
      expect(await unitKnown('containerd.service')).toBe(false);
      expect(await sh('test -e /var/lib/prov-containerd/release.json')).toMatchObject({ code: 1 });

      const json = expectOk(await taskserv('containerd', 'install', { mirror: mirror.mirrorFor('containerd') }));
      expect(json.result).toMatchObject({ status: 'running', version: '1.7.24', health: { healthy: true } });
      expect(await isActive('containerd.service')).toBe('active');
      expectOk(await taskserv('containerd', 'uninstall'));
      expect(await unitKnown('containerd.service')).toBe(false);
    }, 180_000);
  });

  describe('buildkit-cluster', () => {
    let cluster: string;

    beforeAll(async () => {
      // The reference cluster as a site would adapt it: its settings.ts pointed at this mirror and port.
      cluster = path.join(work, 'buildkit-cluster');
      await cp(path.join(REPO_ROOT, 'extensions', 'buildkit-cluster'), cluster, { recursive: true, filter: (source) => !source.includes('node_modules') });
      await writeFile(path.join(cluster, 'src', 'settings.ts'), `import type { SiteSettings } from './components.js';
export const SETTINGS: SiteSettings = {
  registryPort: ${CLUSTER_REGISTRY_PORT},
  releaseMirrors: { containerd: ${JSON.stringify(mirror.mirrorFor('containerd'))}, registry: ${JSON.stringify(mirror.mirrorFor('registry'))} },
};
`);
      // Its status hook reads the two units on the server.
      expectOk(await prov(['grant', cluster, '--json', '--allow-server', SERVER, '--allow-systemctl', 'containerd.service', '--allow-systemctl', 'registry.service']));
    });

    it('create deploys the registry, then containerd with the registry as its mirror: both active', async () => {
      const listed = expectOk(await prov(['cluster', 'list-components', cluster, '--json']));
      expect(listed.result.waves).toEqual([['registry'], ['containerd']]);

      const json = expectOk(await prov(['cluster', 'create', cluster, '--server', SERVER, '--json']));
      expect(json.result.components.map((component: { name: string; wave: number; state: string }) => `${component.wave} ${component.name} ${component.state}`)).toEqual(['0 registry deployed', '1 containerd deployed']);
      expect(json.changed).toBe(true);

      expect(await isActive('registry.service')).toBe('active');
      expect(await isActive('containerd.service')).toBe('active');
      expect(await registryAnswers(CLUSTER_REGISTRY_PORT)).toBe('200');
      expect((await ctrVersion()).code).toBe(0);
      const config = (await sh('cat /etc/containerd/config.toml')).stdout;
      expect(config).toContain(`[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\n    endpoint = ["http://127.0.0.1:${CLUSTER_REGISTRY_PORT}"]`);
    }, 240_000);

    it('status shows the recorded deployment; the components report healthy', async () => {
      const status = expectOk(await prov(['cluster', 'status', cluster, '--json']));
      expect(status.result).toMatchObject({ cluster: 'buildkit-cluster', operation: 'deploy', state: 'succeeded', inFlight: [] });
      expect(status.result.server).toBe(SERVER);
      expect(status.result.components.map((row: { name: string; live: unknown }) => [row.name, row.live])).toEqual([
        ['registry', { ok: true, status: expect.objectContaining({ state: 'active', healthy: true }) }],
        ['containerd', { ok: true, status: expect.objectContaining({ state: 'active', healthy: true }) }],
      ]);
      expect(status.result.hook).toMatchObject({ ok: true, status: { cluster: 'buildkit-cluster', server: SERVER, healthy: true } });
      const human = await prov(['cluster', 'status', cluster]);
      expect(human.stdout).toMatch(new RegExp(`^buildkit-cluster on ${SERVER}: last deploy succeeded \\(.*\\)\n {2}registry +deployed +live: state=active version=[\\d.]+ healthy=true\n {2}containerd +deployed +live: state=active version=[\\d.]+ healthy=true\n {2}the cluster's status hook: \\{"cluster":"buildkit-cluster","server":"${SERVER}","healthy":true,`));
      const component = expectOk(await prov(['cluster', 'component-status', cluster, 'containerd', '--server', SERVER, '--json']));
      expect(component.result).toMatchObject({ service: 'containerd.service', state: 'active', healthy: true, details: { registry_mirrors: { 'docker.io': [`http://127.0.0.1:${CLUSTER_REGISTRY_PORT}`] } } });
      // A second create finds every component deployed with the same config.
      expect(expectOk(await prov(['cluster', 'create', cluster, '--server', SERVER, '--json'])).changed).toBe(false);
    }, 240_000);

    it('delete removes containerd, then the registry: neither unit is known any more', async () => {
      const deleted = await prov(['cluster', 'delete', cluster, '--server', SERVER]);
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(deleted.stderr.indexOf('containerd: deleting')).toBeLessThan(deleted.stderr.indexOf('registry: deleting'));
      expect(await unitKnown('containerd.service')).toBe(false);
      expect(await unitKnown('registry.service')).toBe(false);
      expect(await present([...CONTAINERD_FILES, ...REGISTRY_FILES])).toEqual([]);
    }, 240_000);
  });
});

describe('the reference extensions as published', () => {
  for (const name of ['containerd', 'registry', 'buildkit-cluster']) {
    it(`${name} validates cleanly and passes its own tests (prov test, check mode on local)`, async () => {
      const dir = path.join(REPO_ROOT, 'extensions', name);
      const validated = await runProv(['validate', dir, '--json']);
      expect(validated.json, validated.stdout).toMatchObject({ ok: true, result: { errors: 0, warnings: 0, findings: [] } });
      const tested = await runProv(['test', dir, '--json'], { timeoutMs: 120_000 });
      expect(tested.json, tested.stderr).toMatchObject({ ok: true });
    }, 180_000);
  }
});
