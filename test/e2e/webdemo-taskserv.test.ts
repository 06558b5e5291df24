/**
 * The reference task service, extensions/webdemo, against a real server: a
 * systemd-nspawn target with real systemd and sshd (test/targets). prov
 * reaches it only through the inventory and SSH; the test looks at the
 * target with its own eyes (target.ssh) after each step.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProv, type CliResult } from '../helpers/run-cli.js';
import { targetSupport } from '../targets/require-target.js';
import { upTarget, type Target } from '../targets/systemd-target.js';

const EXTENSION = 'extensions/webdemo';
const SERVER = 'demo';
const SSH_PORT = 2231;
/** The target shares the host's network: a port nothing else here uses. */
const WEB_PORT = 28231;
const UNIT_FILE = '/etc/systemd/system/webdemo.service';
const PAGE_DIR = '/srv/webdemo';
const PAGE_FILE = `${PAGE_DIR}/index.html`;

/** Exactly what metadata.toml asks for, granted by the operator's flags. */
const GRANTS = [
  '--allow-server', SERVER,
  '--allow-exec', '/usr/bin/curl',
  '--allow-systemctl', 'webdemo.service',
  '--allow-remote-read', PAGE_DIR,
  '--allow-remote-read', UNIT_FILE,
  '--allow-remote-write', PAGE_DIR,
  '--allow-remote-write', UNIT_FILE,
];

/** Skips, saying why, where targets cannot boot; fails instead under PROV_REQUIRE_TARGETS=1. */
const support = await targetSupport();

interface PlanEntry {
  capability: string;
  call: string;
  target: string;
  summary: string;
  changes: boolean;
}

describe.skipIf(!support.available)(`webdemo task service on a systemd target${support.available ? '' : ` (skipped: ${support.reason})`}`, () => {
  let target: Target;
  let provHome: string;

  const prov = (args: string[]): Promise<CliResult> => runProv(args, { env: { PROV_HOME: provHome }, timeoutMs: 90_000 });
  const webdemo = (operation: string, ...args: string[]) => prov(['run', EXTENSION, operation, '--server', SERVER, '--json', ...GRANTS, ...args]);
  /** One JSON document on stdout, ok: true; on failure the assertion shows stderr and the error. */
  const expectOk = (run: CliResult) => {
    expect({ code: run.code, error: run.json?.error, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, error: undefined, stderr: '' });
    expect(run.json.ok).toBe(true);
    return run.json;
  };
  const exists = async (file: string) => (await target.ssh(`test -e ${file}`, { allowFailure: true })).code === 0;
  const isActive = async () => (await target.ssh('systemctl is-active webdemo.service', { allowFailure: true })).stdout.trim();

  beforeAll(async () => {
    provHome = await mkdtemp(path.join(os.tmpdir(), 'prov-webdemo-home-'));
    target = await upTarget('webdemo', SSH_PORT);
  }, 180_000);

  afterAll(async () => {
    await target?.down();
    if (provHome !== undefined) await rm(provHome, { recursive: true, force: true });
  }, 60_000);

  it('puts the target into the inventory with its host key pinned', async () => {
    const added = await prov([
      'server', 'add', SERVER, '--host', target.host, '--port', String(target.port), '--user', 'root',
      '--identity', target.identity, '--known-hosts', target.knownHosts, '--json',
    ]);
    expectOk(added);
  });

  it('install --check plans the uploads and systemctl calls and leaves nothing on the target', async () => {
    const run = await webdemo('install', '--check', '--input', JSON.stringify({ port: WEB_PORT, version: '1.1.0' }));
    const json = expectOk(run);
    expect(json.result).toMatchObject({ service: 'webdemo.service', server: SERVER, version: '1.1.0', port: WEB_PORT, status: 'planned' });
    expect(json.changed).toBe(true);

    const plan = json.plan as PlanEntry[];
    const planned = (pattern: RegExp) => plan.filter((entry) => pattern.test(`${entry.call} ${entry.target} ${entry.summary}`));
    expect(planned(/upload/).map((entry) => entry.target).join('\n')).toContain(PAGE_FILE);
    expect(planned(/upload/).map((entry) => entry.target).join('\n')).toContain(UNIT_FILE);
    expect(planned(/mkdir/)).toHaveLength(1);
    expect(planned(/daemon-reload/)).toHaveLength(1);
    expect(planned(/\benable\b.*webdemo\.service|webdemo\.service.*\benable\b/)).toHaveLength(1);
    expect(planned(/\bstart\b.*webdemo\.service|webdemo\.service.*\bstart\b/)).toHaveLength(1);
    expect(planned(/upload|enable|\bstart\b/).every((entry) => entry.changes)).toBe(true);

    expect(await exists(UNIT_FILE)).toBe(false);
    expect(await exists(PAGE_DIR)).toBe(false);
    expect(await isActive()).not.toBe('active');
  }, 90_000);

  it('install runs the service: active, enabled, and the page answers on the target', async () => {
    const json = expectOk(await webdemo('install', '--input', JSON.stringify({ port: WEB_PORT, version: '1.1.0' })));
    expect(json.result).toMatchObject({ status: 'running', version: '1.1.0', port: WEB_PORT, health: { healthy: true } });
    expect(json.result.steps).toEqual([`mkdir ${PAGE_DIR}`, `upload ${PAGE_FILE}`, `upload ${UNIT_FILE}`, 'daemon-reload', 'enable', 'start']);
    expect(json.changed).toBe(true);
    expect(json.plan).toBeUndefined();

    expect(await isActive()).toBe('active');
    expect((await target.ssh('systemctl is-enabled webdemo.service', { allowFailure: true })).stdout.trim()).toBe('enabled');
    expect((await target.ssh(`cat ${UNIT_FILE}`)).stdout).toContain(`ExecStart=/usr/bin/python3 -m http.server ${WEB_PORT} --bind 127.0.0.1 --directory /srv/webdemo`);
    const page = await target.ssh(`curl -fsS http://127.0.0.1:${WEB_PORT}/`);
    expect(page.stdout).toContain('<h1>webdemo 1.1.0</h1>');
  }, 90_000);

  it('a second install changes nothing', async () => {
    const json = expectOk(await webdemo('install', '--input', JSON.stringify({ port: WEB_PORT, version: '1.1.0' })));
    expect(json.result).toMatchObject({ status: 'unchanged', steps: [] });
    expect(json.changed).toBe(false);
    expect(await isActive()).toBe('active');
  }, 90_000);

  it('status reports active, enabled and healthy', async () => {
    const json = expectOk(await webdemo('status'));
    expect(json.result).toMatchObject({
      service: 'webdemo.service',
      version: '1.1.0',
      state: 'active',
      healthy: true,
      details: { installed: true, enabled: 'enabled', port: WEB_PORT },
    });
  }, 90_000);

  it('upgrade rewrites the page and unit, restarts, and the target serves the new version', async () => {
    const json = expectOk(await webdemo('upgrade', '--input', JSON.stringify({ version: '1.2.0' })));
    expect(json.result).toMatchObject({ from: '1.1.0', to: '1.2.0', status: 'running', health: { healthy: true } });
    expect(json.result.steps).toEqual([`upload ${PAGE_FILE}`, `upload ${UNIT_FILE}`, 'daemon-reload', 'enable', 'restart']);
    expect(json.changed).toBe(true);
    expect((await target.ssh(`curl -fsS http://127.0.0.1:${WEB_PORT}/`)).stdout).toContain('<h1>webdemo 1.2.0</h1>');

    const updates = expectOk(await webdemo('check-updates'));
    expect(updates.result).toEqual({ current: '1.2.0', latest: '1.2.0', update_available: false });
    expect(updates.changed).toBe(false);
  }, 90_000);

  it('uninstall stops and disables the unit and removes its files', async () => {
    const json = expectOk(await webdemo('uninstall'));
    expect(json.result).toMatchObject({ status: 'removed', steps: ['stop', 'disable', `remove ${UNIT_FILE}`, `remove ${PAGE_FILE}`, `rmdir ${PAGE_DIR}`, 'daemon-reload'] });
    expect(json.changed).toBe(true);

    expect(await exists(UNIT_FILE)).toBe(false);
    expect(await exists(PAGE_DIR)).toBe(false);
    expect(await isActive()).toBe('inactive');
    expect((await target.ssh(`curl -sS http://127.0.0.1:${WEB_PORT}/`, { allowFailure: true })).code).not.toBe(0);

    const version = expectOk(await webdemo('get-current-version'));
    expect(version.result).toBeNull();
    expect(version.changed).toBe(false);
  }, 90_000);
});
