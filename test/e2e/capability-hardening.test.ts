import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProv } from '../helpers/run-cli.js';
import { startRecordingServer, type RecordingServer } from '../helpers/recording-server.js';
import { createTempExtension, providerSource } from '../helpers/temp-extension.js';

/**
 * Holes a security review of the capability core found, each closed and
 * kept closed here: a placeholder-only secret read back through an error
 * message, a server asking for a secret in its Location, a manifest root
 * that is a link out of the operator's root, removing $PROV_HOME, wrong
 * `changed`, header values Node refuses, method overrides under --check, a
 * file mode left loose, an audit log flooded by one operation.
 */
describe('capability hardening', () => {
  let server: RecordingServer;
  let work: string;
  const secret = 's3cr3t-VALUE';
  const reversed = [...secret].reverse().join('');

  beforeAll(async () => {
    server = await startRecordingServer((request, response) => {
      if (request.url === '/redirect-asking-for-secret') {
        response.writeHead(302, { location: '/landing/{{secret:tok}}' });
        response.end();
        return;
      }
      response.end('ok');
    });
    work = await mkdtemp(path.join(os.tmpdir(), 'prov-hardening-'));
  });

  afterAll(async () => {
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  it('never puts a filled-in secret into an error message, a redirect or a header it cannot carry', async () => {
    const ext = await createTempExtension({
      manifestExtra: `[permissions]\nhttp = ["http://127.0.0.1:9", "${server.origin}"]\nsecrets = ["tok"]\n`,
      source: providerSource({
        getZones: `async getZones(_input: unknown, ctx: any) {
    const out: Record<string, unknown> = {};
    const reverse = (text: string) => [...text].reverse().join('');
    try { await ctx.http.fetch('http://127.0.0.1:9/x/{{secret:tok}}'); } catch (error: any) { out.refused = reverse(error.message); }
    try { await ctx.http.fetch('${server.origin}/slow/{{secret:tok}}', { timeoutMs: 1 }); } catch (error: any) { out.timeout = reverse(error.message); }
    out.redirect = (await ctx.http.fetch('${server.origin}/redirect-asking-for-secret')).url;
    for (const value of ['€', 'a\\u0001b']) {
      try { await ctx.http.fetch('${server.origin}/h', { headers: { 'x-a': value } }); } catch (error: any) { out[JSON.stringify(value)] = error.code; }
    }
    try { await ctx.http.fetch('${server.origin}/h', { headers: { 'X-HTTP-Method-Override': 'DELETE' } }); } catch (error: any) { out.override = error.code; }
    return out;
  }`,
      }),
    });
    try {
      const run = await runProv(['run', ext.dir, 'get-zones', '--json', '--allow-http', 'http://127.0.0.1:9', '--allow-http', server.origin, '--allow-secret', 'tok'], {
        env: { PROV_SECRET_TOK: secret },
      });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout + run.stderr).not.toContain(reversed);
      expect(run.stdout + run.stderr).not.toContain(secret);
      // The message names the URL as the extension wrote it, placeholder and all.
      expect([...(run.json.result.refused as string)].reverse().join('')).toContain('GET http://127.0.0.1:9/x/%7B%7Bsecret:tok%7D%7D');
      expect([...(run.json.result.timeout as string)].reverse().join('')).toContain('/slow/%7B%7Bsecret:tok%7D%7D took longer than 1 ms');
      // The server's Location asked for {{secret:tok}}: prov followed it without filling anything in.
      const landing = server.requests.find((request) => request.url.startsWith('/landing/'))!;
      expect(landing.url).toBe('/landing/%7B%7Bsecret:tok%7D%7D');
      expect(run.json.result['"€"']).toBe('PermissionDenied');
      expect(run.json.result['"a\\u0001b"']).toBe('PermissionDenied');
      expect(run.json.result.override).toBe('PermissionDenied');
    } finally {
      await ext.cleanup();
    }
  });

  it('keeps a manifest root that is a link inside the operator\'s root', async () => {
    const granted = path.join(work, 'ws');
    const outside = path.join(work, 'outside');
    await mkdir(granted, { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(outside, 'f.txt'), 'outside');
    await symlink(outside, path.join(granted, 'data'));
    const ext = await createTempExtension({
      manifestExtra: `[permissions]\nfs_read = ["${granted}/data"]\nfs_write = ["${granted}/data"]\n`,
      source: providerSource({
        getZones: `async getZones(_input: unknown, ctx: any) {
    const out: Record<string, unknown> = {};
    try { out.read = await ctx.fs.readFile('${granted}/data/f.txt'); } catch (error: any) { out.read = error.code; }
    try { out.write = await ctx.fs.writeFile('${granted}/data/new.txt', 'x'); } catch (error: any) { out.write = error.code; }
    return out;
  }`,
      }),
    });
    try {
      const run = await runProv(['run', ext.dir, 'get-zones', '--json', '--allow-read', granted, '--allow-write', granted]);
      expect(run.json.result).toEqual({ read: 'PermissionDenied', write: 'PermissionDenied' });
      await expect(stat(path.join(outside, 'new.txt'))).rejects.toThrow();
    } finally {
      await ext.cleanup();
    }
  });

  it('does not remove a directory that holds $PROV_HOME; a failed write is no change; a requested mode is applied', async () => {
    const root = path.join(work, 'fsroot');
    const provHome = path.join(root, 'state', 'prov');
    await mkdir(provHome, { recursive: true });
    await writeFile(path.join(root, 'key.pem'), 'old key', { mode: 0o644 });
    const ext = await createTempExtension({
      manifestExtra: `[permissions]\nfs_read = ["${root}"]\nfs_write = ["${root}"]\n`,
      source: providerSource({
        getZones: `async getZones(_input: unknown, ctx: any) {
    const out: Record<string, unknown> = {};
    try { await ctx.fs.remove('${root}/state', { recursive: true }); out.remove = 'removed'; } catch (error: any) { out.remove = error.code + ': ' + error.message; }
    try { await ctx.fs.writeFile('${root}/missing-dir/x.txt', 'x'); } catch (error: any) { out.write = error.code + ' ' + error.reason; }
    return out;
  }`,
        getPlans: `async getPlans(_input: unknown, ctx: any) { return ctx.fs.writeFile('${root}/key.pem', 'old key', { mode: 0o600 }); }`,
      }),
    });
    try {
      const run = await runProv(['run', ext.dir, 'get-zones', '--json', '--allow-read', root, '--allow-write', root], { env: { PROV_HOME: provHome } });
      expect(run.json).toMatchObject({
        ok: true,
        changed: false,
        result: {
          remove: `PermissionDenied: fs.remove: ${root}/state holds prov's own state ($PROV_HOME, the secrets or policy file); no extension removes it`,
          write: 'HostCallFailed ENOENT',
        },
      });
      const audit = await readFile(path.join(provHome, 'audit', 'audit.jsonl'), 'utf8');
      expect(audit.trim().split('\n')).toHaveLength(2);
      const mode = await runProv(['run', ext.dir, 'get-plans', '--json', '--allow-read', root, '--allow-write', root], { env: { PROV_HOME: provHome } });
      expect(mode.json).toMatchObject({ ok: true, changed: true });
      expect((await stat(path.join(root, 'key.pem'))).mode & 0o777).toBe(0o600);
    } finally {
      await ext.cleanup();
    }
  });

  it('keeps one operation from flooding the audit log: past 10000 records, calls are counted', async () => {
    const home = path.join(work, 'flood-home');
    const ext = await createTempExtension({
      source: providerSource({
        getZones: `async getZones(_input: unknown, ctx: any) {
    const long = '/etc/' + 'x'.repeat(4000);
    let denied = 0;
    for (let i = 0; i < 10050; i++) { try { await ctx.fs.exists(long); } catch { denied++; } }
    return denied;
  }`,
      }),
    });
    try {
      const run = await runProv(['run', ext.dir, 'get-zones', '--json'], { env: { PROV_HOME: home }, timeoutMs: 120_000 });
      expect(run.json).toMatchObject({ ok: true, result: 10050 });
      const lines = (await readFile(path.join(home, 'audit', 'audit.jsonl'), 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(10_001);
      const first = JSON.parse(lines[0]!);
      expect(first.target.length).toBeLessThan(1100);
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({ call: 'fs.exists', decision: 'denied', target: expect.stringMatching(/^50 more denied call\(s\), counted/) });
      const audit = await runProv(['audit', '--json', '--ext', 'test-ext'], { env: { PROV_HOME: home } });
      expect(audit.json.result).toHaveLength(10_001);
    } finally {
      await ext.cleanup();
    }
  }, 150_000);
});
