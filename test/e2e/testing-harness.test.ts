import { existsSync } from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadForTest, startTestServer, type TestServer } from '../../runtime/testing/index.js';
import { createTempExtension, providerSource, type TempExtension } from '../helpers/temp-extension.js';

/** prov/testing's loadForTest on a small provider: the grant, the audit, check mode, secrets, home, close. */
describe('prov/testing loadForTest', () => {
  let api: TestServer;
  let extension: TempExtension;

  beforeAll(async () => {
    api = await startTestServer((request) => (request.path === '/echo' ? { body: { method: request.method, body: request.body } } : { status: 404, body: 'no' }));
    extension = await createTempExtension({
      name: 'harness-probe',
      manifestExtra: `[permissions]\nhttp = ["api.example.com"]\nsecrets_read = ["probe.token"]\nfs_read = ["~/.config/probe"]\n`,
      source: providerSource({
        listServers: `async listServers(input, ctx) {
          const response = await ctx.http.fetch(input.url);
          await ctx.log.info('fetched ' + input.url);
          return { status: response.status, body: response.body };
        }`,
        createServer: `async createServer(input, ctx) {
          const response = await ctx.http.fetch(input.url, { method: 'POST', body: { hostname: 'web-1' } });
          return response.planned === true ? { planned: true } : { status: response.status };
        }`,
        getServerInfo: `async getServerInfo(_input, ctx) {
          const token = await ctx.secrets.get('probe.token');
          await ctx.log.info('the token is ' + token);
          return { length: token.length, settings: await ctx.fs.readFile('~/.config/probe/settings.json'), target: ctx.target };
        }`,
      }),
    });
  });

  afterAll(async () => {
    await api.close();
    await extension.cleanup();
  });

  it('grants what metadata.toml requests ∩ the grant, and alsoRequest adds to the request for the test', async () => {
    await using narrow = await loadForTest(extension.dir, { grant: { http: ['api.example.com', 'other.example.com', api.origin] } });
    expect(narrow.identity).toMatchObject({ name: 'harness-probe', type: 'provider', version: '0.1.0' });
    expect(narrow.grant.granted).toEqual({ http: ['api.example.com'] });
    await expect(narrow.run('list-servers', { url: `${api.origin}/echo` })).rejects.toMatchObject({ code: 'PermissionDenied' });
    expect(narrow.audit).toEqual([
      expect.objectContaining({ extension: 'harness-probe', operation: 'listServers', call: 'http.fetch', decision: 'denied', permission: { key: 'http', value: api.origin } }),
    ]);
    expect(api.requests).toEqual([]);

    await using wide = await loadForTest(extension.dir, { alsoRequest: { http: [api.origin] }, grant: { http: [api.origin] } });
    expect(wide.grant.granted).toEqual({ http: [api.origin] });
    const { result, audit, logs } = await wide.run('list-servers', { url: `${api.origin}/echo` });
    expect(result).toEqual({ status: 200, body: JSON.stringify({ method: 'GET', body: '' }) });
    expect(audit).toEqual([
      expect.objectContaining({ operation: 'listServers', capability: 'http', call: 'http.fetch', target: `${api.origin}/echo`, decision: 'allowed', changed: false, error: null }),
    ]);
    expect(audit[0]!.bytes_in).toBeGreaterThan(0);
    expect(logs.map((entry) => [entry.level, entry.message])).toEqual([['info', `fetched ${api.origin}/echo`]]);
    expect(wide.audit).toEqual(audit);
  });

  it("'requested' grants everything metadata.toml (and alsoRequest) asks for", async () => {
    await using ext = await loadForTest(extension.dir, { grant: 'requested', alsoRequest: { http: [api.origin] } });
    expect(ext.grant.granted).toEqual({ http: ['api.example.com', api.origin], fs_read: [`${ext.home}/.config/probe`], secrets_read: ['probe.token'] });
  });

  it('in check mode plans a mutating call instead of sending it', async () => {
    await using ext = await loadForTest(extension.dir, { alsoRequest: { http: [api.origin] }, grant: { http: [api.origin] } });
    const before = api.requests.length;
    const outcome = await ext.run('create-server', { url: `${api.origin}/echo` }, { check: true });
    expect(outcome).toMatchObject({ result: { planned: true }, changed: true, plan: [{ capability: 'http', call: 'http.fetch', target: `POST ${api.origin}/echo`, changes: true }] });
    expect(outcome.audit.map((record) => record.decision)).toEqual(['planned']);
    expect(api.requests.length).toBe(before);

    const sent = await ext.run('create-server', { url: `${api.origin}/echo` });
    expect(sent).toMatchObject({ result: { status: 200 }, changed: true });
    expect(sent.plan).toBeUndefined();
    expect(api.requests.at(-1)).toMatchObject({ method: 'POST', path: '/echo', body: '{"hostname":"web-1"}' });
  });

  it('takes secrets from the test, never from the environment, and masks them; the home is a temp dir with the test\'s files', async () => {
    process.env['PROV_SECRET_PROBE_TOKEN'] = 'from-the-environment';
    try {
      await using without = await loadForTest(extension.dir, { grant: 'requested', home: { '.config/probe/settings.json': '{}' } });
      await expect(without.run('get-server-info', { id: 'x' })).rejects.toMatchObject({ code: 'SecretNotFound' });

      await using ext = await loadForTest(extension.dir, {
        grant: 'requested',
        secrets: { 'probe.token': 'sekret-42' },
        home: { '~/.config/probe/settings.json': '{"zone":"test"}' },
      });
      expect(ext.home).not.toBe(os.homedir());
      const { result, logs, audit } = await ext.run('get-server-info', { id: 'x' }, { target: 'local' });
      expect(result).toEqual({ length: 9, settings: '{"zone":"test"}', target: { name: 'local' } });
      expect(logs[0]!.message).not.toContain('sekret-42');
      expect(audit.map((record) => [record.call, record.target, record.decision])).toEqual([
        ['secrets.get', 'probe.token', 'allowed'],
        ['fs.readFile', `${ext.home}/.config/probe/settings.json`, 'allowed'],
      ]);
      expect(JSON.stringify(ext.audit)).not.toContain('sekret-42');
    } finally {
      delete process.env['PROV_SECRET_PROBE_TOKEN'];
    }
  });

  it('refuses a home file outside the home, and a target not in its inventory', async () => {
    await expect(loadForTest(extension.dir, { home: { '../escape.txt': 'x' } })).rejects.toMatchObject({ code: 'Usage' });
    await using ext = await loadForTest(extension.dir);
    await expect(ext.run('get-server-info', { id: 'x' }, { target: 'web-1' })).rejects.toMatchObject({
      code: 'Usage',
      message: 'No server named "web-1" in the test\'s inventory',
    });
  });

  it('close() ends the sandbox and removes the home; a run after it is refused', async () => {
    const ext = await loadForTest(extension.dir, { home: { 'a.txt': 'a' } });
    expect(existsSync(`${ext.home}/a.txt`)).toBe(true);
    await ext.close();
    await ext.close(); // twice is fine
    expect(existsSync(ext.home)).toBe(false);
    await expect(ext.run('list-servers', { url: 'https://api.example.com/' })).rejects.toMatchObject({ code: 'Usage', message: 'harness-probe: run("list-servers") after close()' });
  });

  it('reports a missing extension as prov run does', async () => {
    await expect(loadForTest(os.tmpdir())).rejects.toMatchObject({ code: 'ManifestNotFound' });
  });
});
