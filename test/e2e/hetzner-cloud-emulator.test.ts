import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HetznerCloudEmulator, noMachines, nspawnMachines, type MachineBackend } from '../emulators/hetzner-cloud/index.js';
import { hetznerWorkspace, type HetznerWorkspace } from '../helpers/hetzner-workspace.js';
import { runProv } from '../helpers/run-cli.js';
import { targetSupport } from '../targets/require-target.js';
import { TARGET_BASE } from '../targets/systemd-target.js';
import { sshRun } from '../targets/target-ssh.js';

const run = promisify(execFile);
const work = await mkdtemp(path.join(os.tmpdir(), 'prov-hetzner-emulator-'));
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A key pair made for the test, as an operator's; the comment is the name it is registered under (the provider names keys by comment). */
async function keyPair(name: string): Promise<{ identity: string; publicKey: string }> {
  const identity = path.join(work, name);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', identity]);
  return { identity, publicKey: (await readFile(`${identity}.pub`, 'utf8')).trim() };
}

/** A client of the emulated API: fetch with the token, the answer's status, headers and JSON. */
function client(emulator: HetznerCloudEmulator) {
  return async (method: string, pathname: string, body?: unknown, token: string | null = emulator.token) => {
    const response = await fetch(`${emulator.apiUrl}${pathname}`, {
      method,
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text === '' ? undefined : JSON.parse(text) };
  };
}

/** Machines that boot and stop only when the test says (each release() lets one power change end): to see the statuses and locks in between. */
function gatedMachines(): MachineBackend & { release(): void; releaseAll(): void } {
  let permits = 0;
  const waiting: (() => void)[] = [];
  const wait = () => {
    if (permits === 0) return new Promise<void>((resolve) => waiting.push(resolve));
    permits--;
    return Promise.resolve();
  };
  return {
    ...noMachines(),
    powerOn: wait,
    powerOff: wait,
    release() {
      const next = waiting.shift();
      if (next === undefined) permits++;
      else next();
    },
    releaseAll() {
      permits = Infinity;
      for (const next of waiting.splice(0)) next();
    },
  };
}

describe('the Hetzner Cloud API emulator, without machines', () => {
  let emulator: HetznerCloudEmulator;
  let api: ReturnType<typeof client>;
  let key: { identity: string; publicKey: string };

  beforeAll(async () => {
    emulator = await HetznerCloudEmulator.start();
    api = client(emulator);
    key = await keyPair('ada-laptop');
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  it('answers the catalogue in the API\'s shapes, paginated', async () => {
    const locations = await api('GET', '/locations');
    expect(locations.status).toBe(200);
    expect(locations.json.locations[0]).toEqual({ id: 1, name: 'fsn1', description: 'Falkenstein DC Park 1', country: 'DE', city: 'Falkenstein', latitude: 50.47612, longitude: 12.370071, network_zone: 'eu-central' });
    expect(locations.json.meta.pagination).toEqual({ page: 1, per_page: 25, previous_page: null, next_page: null, last_page: 1, total_entries: 6 });
    const types = await api('GET', '/server_types?name=cx22');
    expect(types.json.server_types).toHaveLength(1);
    expect(types.json.server_types[0]).toMatchObject({ id: 104, name: 'cx22', cores: 2, memory: 4, disk: 40, cpu_type: 'shared', architecture: 'x86', deprecated: false });
    expect(types.json.server_types[0].prices[0]).toEqual({
      location: 'fsn1', price_hourly: { net: '0.0060000000', gross: '0.0071400000' }, price_monthly: { net: '3.7900000000', gross: '4.5101000000' },
      included_traffic: 21_990_232_555_520, price_per_tb_traffic: { net: '1.0000000000', gross: '1.1900000000' },
    });
    const arm = (await api('GET', '/server_types?name=cax11')).json.server_types[0];
    expect(arm.prices.map((price: { location: string }) => price.location)).toEqual(['fsn1', 'nbg1', 'hel1']);
    const images = await api('GET', '/images?name=debian-12&type=system');
    expect(images.json.images).toEqual([expect.objectContaining({ id: 114690387, name: 'debian-12', type: 'system', status: 'available', os_flavor: 'debian', os_version: '12' })]);
    expect((await api('GET', '/images/114690387')).json.image.name).toBe('debian-12');
    const pricing = await api('GET', '/pricing');
    expect(pricing.json.pricing).toMatchObject({ currency: 'EUR', vat_rate: '19.000000' });
    expect(pricing.json.pricing.server_types.map((type: { name: string }) => type.name)).toContain('cx22');
    expect((await api('GET', '/locations?per_page=2&page=2')).json).toMatchObject({
      locations: [expect.objectContaining({ name: 'hel1' }), expect.objectContaining({ name: 'ash' })],
      meta: { pagination: { page: 2, per_page: 2, previous_page: 1, next_page: 3, last_page: 3, total_entries: 6 } },
    });
    expect(locations.headers.get('ratelimit-limit')).toBe('3600');
  });

  it('wants the Bearer token: without it or with another, 401 unauthorized in Hetzner\'s error shape', async () => {
    for (const token of [null, 'not-the-token']) {
      const denied = await api('GET', '/servers', undefined, token);
      expect(denied.status).toBe(401);
      expect(denied.json).toEqual({ error: { code: 'unauthorized', message: 'unable to authenticate', details: {} } });
    }
    const unknown = await api('GET', '/volumes');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toEqual({ code: 'not_found', message: 'GET /v1/volumes not found', details: {} });
    const broken = await api('POST', '/ssh_keys', '{"name": ');
    expect(broken.status).toBe(400);
    expect(broken.json.error.code).toBe('json_error');
  });

  it('registers ssh keys by name: MD5 fingerprints as ssh-keygen prints them, names and keys unique', async () => {
    const created = await api('POST', '/ssh_keys', { name: 'ada-laptop', public_key: key.publicKey, labels: { team: 'ops' } });
    expect(created.status).toBe(201);
    const md5 = (await run('ssh-keygen', ['-l', '-E', 'md5', '-f', `${key.identity}.pub`])).stdout.split(' ')[1]!.replace(/^MD5:/, '');
    expect(created.json.ssh_key).toEqual({ id: 1, name: 'ada-laptop', fingerprint: md5, public_key: key.publicKey, labels: { team: 'ops' }, created: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/) });
    expect((await api('GET', '/ssh_keys?name=ada-laptop')).json.ssh_keys).toEqual([created.json.ssh_key]);
    expect((await api('GET', `/ssh_keys?fingerprint=${md5}`)).json.ssh_keys).toHaveLength(1);

    const sameName = await api('POST', '/ssh_keys', { name: 'ada-laptop', public_key: (await keyPair('other')).publicKey });
    expect(sameName.status).toBe(409);
    expect(sameName.json.error).toEqual({ code: 'uniqueness_error', message: 'SSH key with the same name already exists', details: { fields: [{ name: 'name' }] } });
    const sameKey = await api('POST', '/ssh_keys', { name: 'copy', public_key: key.publicKey });
    expect(sameKey.status).toBe(409);
    expect(sameKey.json.error.details).toEqual({ fields: [{ name: 'public_key' }] });
    const bad = await api('POST', '/ssh_keys', { name: 'bad', public_key: 'ssh-ed25519 bm90IGEga2V5' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toEqual({ code: 'invalid_input', message: "invalid input in field 'public_key'", details: { fields: [{ name: 'public_key', messages: ['is not a valid OpenSSH public key'] }] } });
  });

  it('creates a server: initializing in the answer with its actions running, then running, the actions a success', async () => {
    const created = await api('POST', '/servers', {
      name: 'web-1', server_type: 'cx22', location: 'nbg1', image: 'debian-12', ssh_keys: ['ada-laptop'], labels: { role: 'web', 'prov/user': 'prov' },
      user_data: '#cloud-config\n', public_net: { enable_ipv4: true, enable_ipv6: true }, start_after_create: true,
    });
    expect(created.status).toBe(201);
    const { server, action, next_actions: next, root_password: password } = created.json;
    expect(server).toMatchObject({
      id: 1, name: 'web-1', status: 'initializing', locked: true,
      public_net: { ipv4: { ip: '203.0.113.1', blocked: false }, ipv6: { ip: '2001:db8:0:1::/64', dns_ptr: [] }, floating_ips: [], firewalls: [] },
      private_net: [], server_type: { name: 'cx22' }, datacenter: { name: 'nbg1-dc3', location: { name: 'nbg1' } }, image: { name: 'debian-12' },
      labels: { role: 'web', 'prov/user': 'prov' }, protection: { delete: false, rebuild: false },
    });
    expect(action).toMatchObject({ command: 'create_server', status: 'running', progress: 0, finished: null, resources: [{ id: 1, type: 'server' }], error: null });
    expect(next).toEqual([expect.objectContaining({ command: 'start_server', status: 'running' })]);
    expect(password).toBeNull(); // an ssh key was given

    await emulator.idle();
    expect((await api('GET', '/servers/1')).json.server).toMatchObject({ status: 'running', locked: false });
    expect((await api('GET', `/actions/${action.id}`)).json.action).toMatchObject({ id: action.id, status: 'success', progress: 100, finished: expect.any(String) });
    expect((await api('GET', `/servers/1/actions/${next[0].id}`)).json.action).toMatchObject({ command: 'start_server', status: 'success' });
    expect((await api('GET', `/servers/2/actions/${next[0].id}`)).status).toBe(404);
    expect((await api('GET', `/actions?id=${action.id}&id=${next[0].id}`)).json.actions.map((one: { status: string }) => one.status)).toEqual(['success', 'success']);

    const bare = await api('POST', '/servers', { name: 'bare', server_type: 104, image: 114690387, start_after_create: false });
    expect(bare.json.root_password).toEqual(expect.stringMatching(/^\S{12,}$/));
    expect(emulator.rootPassword(bare.json.server.id)).toBe(bare.json.root_password);
    expect(bare.json.next_actions).toEqual([]);
    await emulator.idle();
    expect(emulator.server(bare.json.server.id)).toMatchObject({ status: 'off', datacenter: { location: { name: 'fsn1' } } });
    expect((await api('GET', '/servers?name=web-1')).json.servers.map((one: { id: number }) => one.id)).toEqual([1]);
    expect((await api('GET', '/servers?label_selector=role=web')).json.servers.map((one: { id: number }) => one.id)).toEqual([1]);
    expect((await api('GET', '/servers?status=off')).json.servers.map((one: { name: string }) => one.name)).toEqual(['bare']);
    expect((await api('DELETE', `/servers/${bare.json.server.id}`)).status).toBe(200);
  });

  it('checks the body: invalid_input 400 per wrong field, 422 for what does not exist, uniqueness_error 409 for a used name', async () => {
    const malformed = await api('POST', '/servers', { name: 'not a hostname', image: 'debian-12', ssh_keys: 'ada-laptop', labels: { 'bad key!': 'x' } });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.code).toBe('invalid_input');
    expect(malformed.json.error.details.fields.map((field: { name: string }) => field.name)).toEqual(['name', 'server_type', 'ssh_keys', 'labels']);
    const unknown = await api('POST', '/servers', { name: 'web-2', server_type: 'cx11', image: 'debian-13', location: 'fsn1', ssh_keys: ['nobody'] });
    expect(unknown.status).toBe(422);
    expect(unknown.json.error).toEqual({
      code: 'invalid_input',
      message: "invalid input in fields 'server_type', 'image', 'ssh_keys'",
      details: { fields: [
        { name: 'server_type', messages: ['server type "cx11" not found'] },
        { name: 'image', messages: ['image "debian-13" not found'] },
        { name: 'ssh_keys', messages: ['ssh key "nobody" not found'] },
      ] },
    });
    const wrongPlace = await api('POST', '/servers', { name: 'web-2', server_type: 'cax11', image: 'debian-12', location: 'ash' });
    expect(wrongPlace.status).toBe(422);
    expect(wrongPlace.json.error.details.fields).toEqual([{ name: 'server_type', messages: ['server type cax11 is not available in ash'] }]);
    const taken = await api('POST', '/servers', { name: 'web-1', server_type: 'cx22', image: 'debian-12' });
    expect(taken.status).toBe(409);
    expect(taken.json.error).toEqual({ code: 'uniqueness_error', message: 'server name is already used', details: { fields: [{ name: 'name' }] } });
    expect((await api('GET', '/servers/99')).json.error).toEqual({ code: 'not_found', message: 'server with ID 99 not found', details: {} });
  });

  it('creates firewalls as the API checks them and shows them on the servers they apply to', async () => {
    const noPort = await api('POST', '/firewalls', { name: 'fw', rules: [{ direction: 'in', protocol: 'tcp', source_ips: ['0.0.0.0/0'] }, { direction: 'out', protocol: 'icmp', port: '1', destination_ips: [] }] });
    expect(noPort.status).toBe(400);
    expect(noPort.json.error.details.fields.map((field: { name: string }) => field.name)).toEqual(['rules[0].port', 'rules[1].port', 'rules[1].destination_ips']);
    const created = await api('POST', '/firewalls', {
      name: 'prov-1', apply_to: [{ type: 'server', server: { id: 1 } }],
      rules: [{ direction: 'in', protocol: 'tcp', port: '22', source_ips: ['0.0.0.0/0', '::/0'] }, { direction: 'in', protocol: 'icmp', source_ips: ['0.0.0.0/0'] }],
    });
    expect(created.status).toBe(201);
    expect(created.json.firewall).toMatchObject({ id: 1, name: 'prov-1', applied_to: [{ type: 'server', server: { id: 1 } }] });
    expect(created.json.firewall.rules[1]).toEqual({ description: null, direction: 'in', protocol: 'icmp', port: null, source_ips: ['0.0.0.0/0'], destination_ips: [] });
    expect(created.json.actions).toEqual([expect.objectContaining({ command: 'apply_firewall', resources: [{ id: 1, type: 'firewall' }, { id: 1, type: 'server' }] })]);
    expect(emulator.server(1)!.public_net.firewalls).toEqual([{ id: 1, status: 'applied' }]);
    expect((await api('POST', '/firewalls', { name: 'prov-1' })).status).toBe(409);
    expect((await api('POST', '/firewalls', { name: 'other', apply_to: [{ type: 'server', server: { id: 42 } }] })).json.error.code).toBe('firewall_resource_not_found');
  });

  it('failNext answers the next matching requests with a Hetzner error, as many times as asked, and the log says so', async () => {
    emulator.failNext('GET', '/v1/servers/{id}', { code: 'rate_limit_exceeded', times: 2 });
    emulator.failNext('*', '/v1/servers', { code: 'service_error', message: 'try again' });
    emulator.failNext('POST', /\/actions\/poweroff$/, { code: 'locked' });
    for (let attempt = 0; attempt < 2; attempt++) {
      const limited = await api('GET', '/servers/1');
      expect(limited.status).toBe(429);
      expect(limited.json.error).toEqual({ code: 'rate_limit_exceeded', message: 'limit of 3600 requests per hour reached', details: {} });
      expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    }
    expect((await api('GET', '/servers/1')).status).toBe(200);
    const unavailable = await api('GET', '/servers');
    expect([unavailable.status, unavailable.json.error.code, unavailable.json.error.message]).toEqual([503, 'service_error', 'try again']);
    expect((await api('GET', '/servers')).status).toBe(200);
    const busy = await api('POST', '/servers/1/actions/poweroff');
    expect([busy.status, busy.json.error.code]).toEqual([423, 'locked']);
    expect(emulator.server(1)!.status).toBe('running');
    expect(emulator.requests.filter((record) => record.injected).map((record) => `${record.method} ${record.path} ${record.status}`)).toEqual([
      'GET /v1/servers/1 429', 'GET /v1/servers/1 429', 'GET /v1/servers 503', 'POST /v1/servers/1/actions/poweroff 423',
    ]);
  });

  it('slow() holds answers back, for all routes or one: a slow answer comes after a quick one sent later', async () => {
    emulator.slow(1_500, { method: 'GET', path: '/v1/pricing' });
    const seen: string[] = [];
    const stop = emulator.onRequest((record) => seen.push(record.pathname));
    const slowAnswer = api('GET', '/pricing');
    await api('GET', '/locations');
    expect(seen).toEqual(['/v1/locations']);
    expect((await slowAnswer).status).toBe(200);
    expect(seen).toEqual(['/v1/locations', '/v1/pricing']);
    emulator.slow(0, { method: 'GET', path: '/v1/pricing' });
    stop();
  });

  it('serves prov\'s provider: list-servers follows the pages; configure-firewall sends rules the API accepts (no port on tcp/udp: "any")', async () => {
    const workspace = await hetznerWorkspace(emulator);
    try {
      const bulk: number[] = [];
      for (let index = 0; index < 60; index++) bulk.push((await api('POST', '/servers', { name: `bulk-${index}`, server_type: 'cx22', image: 'debian-12' })).json.server.id);
      const listed = await runProv(['run', workspace.ext, 'list-servers', '--json', ...workspace.grant], { env: workspace.env });
      expect(listed.json?.result?.length, listed.stderr).toBe(emulator.servers().length);
      expect(emulator.requests.filter((record) => record.pathname === '/v1/servers' && record.method === 'GET').slice(-2).map((record) => record.path)).toEqual(['/v1/servers?page=1&per_page=50', '/v1/servers?page=2&per_page=50']);

      const rules = [
        { direction: 'ingress', protocol: 'tcp', port: '22', action: 'allow' },
        { direction: 'ingress', protocol: 'udp', source: '10.0.0.0/8', action: 'allow' },
        { direction: 'ingress', protocol: 'icmp', action: 'allow' },
        { direction: 'egress', protocol: 'tcp', action: 'deny' },
      ];
      const id = String(bulk[0]);
      const firewall = await runProv(['run', workspace.ext, 'configure-firewall', '--json', '--input', JSON.stringify({ id, rules }), ...workspace.grant], { env: workspace.env });
      expect(firewall.json, firewall.stderr).toMatchObject({ ok: true, result: { id, name: `prov-${id}`, rules: 3 } });
      expect((emulator.requests.at(-1)!.body as { rules: unknown[] }).rules).toEqual([
        { direction: 'in', protocol: 'tcp', port: '22', source_ips: ['0.0.0.0/0', '::/0'] },
        { direction: 'in', protocol: 'udp', port: 'any', source_ips: ['10.0.0.0/8'] },
        { direction: 'in', protocol: 'icmp', source_ips: ['0.0.0.0/0', '::/0'] },
      ]);
      expect(emulator.server(bulk[0]!)!.public_net.firewalls).toEqual([{ id: expect.any(Number), status: 'applied' }]);
    } finally {
      await workspace.cleanup();
    }
  });

  it('logs each request as sent: method, path with its query, authorization and body, and what it answered', async () => {
    const before = emulator.requests.length;
    await api('PUT', '/ssh_keys/1', { labels: { team: 'dev' } });
    expect(emulator.requests.slice(before)).toEqual([expect.objectContaining({
      method: 'PUT', path: '/v1/ssh_keys/1', authorization: `Bearer ${emulator.token}`, body: { labels: { team: 'dev' } }, status: 200,
      response: { ssh_key: expect.objectContaining({ name: 'ada-laptop', labels: { team: 'dev' } }) }, injected: false,
    })]);
    expect(emulator.count('PUT', '/v1/ssh_keys/1')).toBe(1);
  });
});

describe('server statuses and locks, with machines that move when told', () => {
  it('goes initializing → running, stopping → off, starting → running, deleting → gone; locked while an action runs', async () => {
    const machines = gatedMachines();
    const emulator = await HetznerCloudEmulator.start({ machines, token: 'gated' });
    const api = client(emulator);
    try {
      const created = await api('POST', '/servers', { name: 'slowpoke', server_type: 'cx22', image: 'debian-12' });
      const id = created.json.server.id;
      const locked = await api('POST', `/servers/${id}/actions/poweroff`);
      expect(locked.status).toBe(423);
      expect(locked.json.error).toEqual({ code: 'locked', message: 'The item you are trying to access is locked (there is already an Action running)', details: {} });
      expect(emulator.server(id)).toMatchObject({ status: 'initializing', locked: true });
      machines.release();
      await emulator.idle();
      expect(emulator.server(id)).toMatchObject({ status: 'running', locked: false });

      const off = await api('POST', `/servers/${id}/actions/shutdown`);
      expect(off.status).toBe(201);
      expect(off.json.action).toMatchObject({ command: 'shutdown_server', status: 'running' });
      expect(emulator.server(id)!.status).toBe('stopping');
      machines.release();
      await emulator.idle();
      expect(emulator.server(id)!.status).toBe('off');
      expect((await api('GET', `/actions/${off.json.action.id}`)).json.action.status).toBe('success');

      const on = await api('POST', `/servers/${id}/actions/poweron`);
      expect(on.json.action.command).toBe('start_server');
      expect(emulator.server(id)!.status).toBe('starting');
      machines.release();
      await emulator.idle();
      expect(emulator.server(id)!.status).toBe('running');

      const reboot = await api('POST', `/servers/${id}/actions/reboot`);
      expect(reboot.json.action.command).toBe('reboot_server');
      expect(emulator.server(id)).toMatchObject({ status: 'running', locked: true });
      machines.release(); // off
      machines.release(); // on again
      await emulator.idle();
      expect(emulator.server(id)).toMatchObject({ status: 'running', locked: false });

      const deleted = await api('DELETE', `/servers/${id}`);
      expect(deleted.json.action).toMatchObject({ command: 'delete_server', status: 'running' });
      await emulator.idle();
      expect((await api('GET', `/servers/${id}`)).status).toBe(404);
      expect((await api('POST', `/servers/${id}/actions/poweron`)).json.error.code).toBe('not_found');
    } finally {
      machines.releaseAll();
      await emulator.stop();
    }
  });
});

const support = await targetSupport();

/**
 * The emulator with real machines behind it, driven through prov's CLI and
 * its unchanged hetzner provider: the server prov creates is a real systemd
 * machine at 10.213.IDX.2:22, which the test reaches with its own ssh and
 * the key it registered, never through prov.
 */
describe.skipIf(!support.available)('the emulator with real machines, driven by prov', { timeout: 180_000 }, () => {
  let emulator: HetznerCloudEmulator;
  let workspace: HetznerWorkspace;
  let key: { identity: string; publicKey: string };
  let serverId: string;
  const timings: Record<string, number> = {};
  const env = () => ({ ...workspace.env, PROV_HOME: path.join(work, 'prov-home') });
  const prov = (args: string[]) => runProv([...args, '--json', ...workspace.grant], { env: env(), timeoutMs: 150_000 });
  const inventory = async () => (await runProv(['server', 'list', '--json'], { env: env() })).json.result as { name: string; host: string; port: number; user: string; identity: string | null; host_keys: string[]; provider?: { name: string; id: string } }[];
  const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work();
    } finally {
      timings[label] = Math.round(performance.now() - started);
    }
  };

  beforeAll(async () => {
    emulator = await HetznerCloudEmulator.start({ machines: nspawnMachines() });
    workspace = await hetznerWorkspace(emulator, { defaults: { zone: 'fsn1' } });
    key = await keyPair('prov-emulator-key');
    // The operator registers the key under its comment's name, which is how the provider names it.
    const registered = await client(emulator)('POST', '/ssh_keys', { name: 'prov-emulator-key', public_key: key.publicKey });
    expect(registered.status).toBe(201);
  });

  afterAll(async () => {
    await emulator?.stop();
    await workspace?.cleanup();
    console.log(`hetzner emulator with nspawn machines, ms: ${JSON.stringify(timings)}`);
  });

  it('create-server --wait: a real machine comes up, prov records it with its address and pinned host key, and the test logs in with its key', async () => {
    const input = { hostname: 'emu-web-1', plan: 'cx22', ssh_keys: [key.publicKey], tags: { role: 'web' } };
    const created = await timed('create-server --wait', () => prov(['provider', 'create-server', workspace.ext, '--wait', '--poll', '0.2', '--input', JSON.stringify(input)]));
    expect(created.json, created.stderr).toMatchObject({ ok: true, result: { hostname: 'emu-web-1', status: 'running', plan: 'cx22', zone: 'fsn1' } });
    serverId = created.json.result.id;
    const machine = emulator.machine(Number(serverId))!;
    expect(machine).toMatchObject({ port: 22, running: true });
    expect(machine.host).toMatch(/^10\.213\.\d{1,3}\.2$/);
    expect(created.json.result.addresses).toEqual({ public_ipv4: machine.host });
    expect(created.stderr).toMatch(/waiting for \d+ to be running: creating/);
    expect(created.stderr).toContain(`note: emu-web-1 is in the inventory (prov@${machine.host}:22, hetzner id ${serverId})`);

    const recorded = (await inventory()).find((server) => server.name === 'emu-web-1')!;
    expect(recorded).toMatchObject({ host: machine.host, port: 22, user: 'prov', identity: null, provider: { name: 'hetzner', id: serverId } });
    expect(recorded.host_keys).toEqual([machine.hostKey]);

    // The test's own ssh, checking the host key prov pinned: root has the registered key, cloud-config made the login user.
    const knownHosts = path.join(work, 'pinned_known_hosts');
    await writeFile(knownHosts, recorded.host_keys.map((hostKey) => `${recorded.host} ${hostKey}\n`).join(''));
    const endpoint = { host: recorded.host, port: recorded.port, identity: key.identity, knownHosts };
    const root = await sshRun(endpoint, 'hostname; cat /root/.ssh/authorized_keys; systemctl is-system-running');
    expect(root.stdout).toBe(`emu-web-1\n${key.publicKey}\nrunning\n`);
    const user = await sshRun(endpoint, 'id -un; sudo -n id -u; cat /etc/prov/labels', { user: recorded.user });
    expect(user.stdout).toBe('prov\n0\nrole=web\n');
  });

  it('stop-server and start-server power-cycle the machine: unreachable while off, then back with its disk and address', async () => {
    const endpoint = { host: emulator.machine(Number(serverId))!.host, port: 22, identity: key.identity, knownHosts: emulator.machine(Number(serverId))!.knownHosts };
    await sshRun(endpoint, 'echo kept > /root/on-the-disk');
    const stopped = await timed('stop-server --wait', () => prov(['provider', 'stop-server', workspace.ext, '--wait', '--poll', '0.2', '--input', JSON.stringify({ id: serverId })]));
    expect(stopped.json, stopped.stderr).toMatchObject({ ok: true, result: { id: serverId, status: 'stopped' } });
    expect(emulator.machine(Number(serverId))).toMatchObject({ running: false, host: endpoint.host });
    expect((await sshRun(endpoint, 'true', { allowFailure: true })).code).toBe(255);
    expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(`pt-${emulator.machine(Number(serverId))!.targetName}`);

    const started = await timed('start-server --wait', () => prov(['provider', 'start-server', workspace.ext, '--wait', '--poll', '0.2', '--input', JSON.stringify({ id: serverId })]));
    expect(started.json, started.stderr).toMatchObject({ ok: true, result: { id: serverId, status: 'running', addresses: { public_ipv4: endpoint.host } } });
    expect((await sshRun(endpoint, 'cat /root/on-the-disk; hostname')).stdout).toBe('kept\nemu-web-1\n');
  });

  it('delete-server --wait: the inventory forgets it, and the machine is really gone (no netns, no state)', async () => {
    const { targetName } = emulator.machine(Number(serverId))!;
    const deleted = await timed('delete-server --wait', () => prov(['provider', 'delete-server', workspace.ext, '--wait', '--poll', '0.2', '--input', JSON.stringify({ id: serverId })]));
    expect(deleted.json, deleted.stderr).toMatchObject({ ok: true, result: { id: serverId, status: 'deleting' } });
    expect(deleted.stderr).toContain('note: emu-web-1 removed from the inventory');
    expect((await inventory()).map((server) => server.name)).toEqual(['local']);
    expect(emulator.server(Number(serverId))).toBeUndefined();
    expect(emulator.machine(Number(serverId))).toBeUndefined();
    expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(`pt-${targetName}`);
    expect((await run('ip', ['-br', 'link'])).stdout).not.toContain(`pt-${targetName}`);
    expect(existsSync(path.join(TARGET_BASE, 'run', targetName))).toBe(false);
    expect(existsSync(path.join(TARGET_BASE, 'disks', targetName))).toBe(false);
    expect(existsSync(`/sys/fs/cgroup/systemd/prov-target-${targetName}`)).toBe(false);
  });
});
