import { afterEach, beforeEach, describe, expect, it, loadForTest, type LoadForTestOptions, type TestServer } from 'prov/testing';
import { startApiEmulator, TOKEN } from './api-emulator.js';

// Run with `prov test`: each test loads the sandboxed build of this extension
// (metadata.toml, src/ bundled, an isolate) with a grant of its own, against
// an emulator of the API on 127.0.0.1.

let api: TestServer;

beforeEach(async () => {
  api = await startApiEmulator();
});

afterEach(async () => {
  await api.close();
});

/**
 * As an operator would run it against the emulator: settings.json points
 * the API at it (in the test's own home), metadata.toml's http request is
 * extended by the emulator's origin for the test, and the grant covers the
 * emulator, the token and the settings.
 */
function setup(overrides: LoadForTestOptions = {}): LoadForTestOptions {
  return {
    home: {
      '.config/{{name}}/settings.json': JSON.stringify({
        api: { base_url: `${api.origin}/v1` },
        defaults: { zone: 'eu-central-1' },
        wait: { interval_ms: 20, timeout_ms: 10_000 },
      }),
    },
    alsoRequest: { http: [api.origin] },
    grant: { http: [api.origin], secrets: ['{{name}}.token'], fs_read: ['~/.config/{{name}}'] },
    secrets: { '{{name}}.token': TOKEN },
    ...overrides,
  };
}

describe('{{name}} create-server', () => {
  it('in check mode sends no POST and waits for nothing: the request is in the plan', async () => {
    await using ext = await loadForTest(setup());
    const { result, changed, plan, audit, logs } = await ext.run('create-server', { hostname: 'web-1', plan: 'small', wait: true }, { check: true });

    expect(result).toMatchObject({
      id: 'planned',
      status: 'planned',
      planned: true,
      request: { method: 'POST', url: `${api.origin}/v1/servers`, body: { hostname: 'web-1', plan: 'small', zone: 'eu-central-1', image: 'ubuntu-22.04' } },
    });
    expect(changed).toBe(true); // would change
    expect(plan).toEqual([expect.objectContaining({ call: 'http.fetch', target: `POST ${api.origin}/v1/servers` })]);
    expect(api.requests).toEqual([]);
    expect(audit.map((record) => [record.call, record.decision])).toEqual([
      ['fs.exists', 'allowed'],
      ['fs.readFile', 'allowed'],
      ['http.fetch', 'planned'],
    ]);
    expect(logs.map((entry) => entry.message)).toContain('No ssh_keys: the server will not be reachable over SSH with a key');
  });

  it('creates a server and, with "wait", polls until it runs; the host fills in the token, the extension never sees it', async () => {
    await using ext = await loadForTest(setup());
    const { result, changed, audit, logs } = await ext.run('create-server', { hostname: 'web-1', plan: 'small', wait: true });

    expect(result).toEqual({
      id: 'srv-1',
      hostname: 'web-1',
      status: 'running',
      addresses: { public_ipv4: '203.0.113.7' },
      plan: 'small',
      zone: 'eu-central-1',
      tags: {},
      ssh: { host: '203.0.113.7', port: 22, user: 'root' },
      polls: 3,
    });
    expect(changed).toBe(true);
    expect(api.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /v1/servers',
      'GET /v1/servers/srv-1',
      'GET /v1/servers/srv-1',
      'GET /v1/servers/srv-1',
    ]);
    expect(api.requests.every((request) => request.headers['authorization'] === `Bearer ${TOKEN}`)).toBe(true);
    expect(audit.filter((record) => record.call === 'http.fetch').map((record) => [record.target, record.decision])).toEqual([
      [`${api.origin}/v1/servers`, 'allowed'],
      [`${api.origin}/v1/servers/srv-1`, 'allowed'],
      [`${api.origin}/v1/servers/srv-1`, 'allowed'],
      [`${api.origin}/v1/servers/srv-1`, 'allowed'],
    ]);
    expect(JSON.stringify({ result, audit, logs })).not.toContain(TOKEN);
  });

  it('is denied, and sends nothing, when the grant leaves out the API host', async () => {
    await using ext = await loadForTest(setup({ grant: { secrets: ['{{name}}.token'], fs_read: ['~/.config/{{name}}'] } }));
    await expect(ext.run('create-server', { hostname: 'web-1', plan: 'small' })).rejects.toMatchObject({ code: 'PermissionDenied' });
    expect(api.requests).toEqual([]);
    expect(ext.audit.filter((record) => record.decision === 'denied')).toEqual([
      expect.objectContaining({ call: 'http.fetch', permission: { key: 'http', value: api.origin } }),
    ]);
  });

  it('checks its input before it runs', async () => {
    await using ext = await loadForTest(setup());
    await expect(ext.run('create-server', { hostname: 'Not A Hostname', plan: 'small' })).rejects.toMatchObject({ code: 'InvalidInput' });
    expect(ext.audit).toEqual([]);
  });
});

describe('{{name}} test-connection', () => {
  it('reports the account the token belongs to', async () => {
    await using ext = await loadForTest(setup());
    const { result, changed } = await ext.run('test-connection');
    expect(result).toEqual({ success: true, message: `${api.origin}/v1 accepted the token`, account_info: { api_url: `${api.origin}/v1`, account: 'acct-1', name: 'test' } });
    expect(changed).toBe(false);
  });

  it('reports a token the API refuses as a failed test, not an error', async () => {
    await using ext = await loadForTest(setup({ secrets: { '{{name}}.token': 'wrong' } }));
    const { result } = await ext.run('test-connection');
    expect(result).toMatchObject({ success: false, error: 'unauthorized' });
  });
});

describe('{{name}} validate-config', () => {
  it('needs no grant and calls nothing', async () => {
    await using ext = await loadForTest();
    const { result } = await ext.run('validate-config', {
      hostname: 'web-1',
      plan: 'small',
      zone: 'eu-central-1',
      firewall_rules: [{ direction: 'ingress', protocol: 'icmp', port: '22', action: 'allow' }],
    });
    expect(result).toMatchObject({ valid: false, errors: [expect.stringContaining('icmp takes no port')] });
    expect(ext.audit).toEqual([]);
  });
});
