import { spawn } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROV_BIN, REPO_ROOT, runProv } from '../helpers/run-cli.js';
import { startRecordingServer, type RecordingServer } from '../helpers/recording-server.js';
import { createTempExtension, providerSource, type TempExtension } from '../helpers/temp-extension.js';

/**
 * Where an operator's grant comes from (policy file, flags, prompt), how it
 * meets the manifest, and the audit trail it leaves (PRODUCT.md §3).
 */
describe('policy, grants, prompts and the audit log', () => {
  let server: RecordingServer;
  let other: RecordingServer;
  let root: string;
  let home: string;
  let ext: TempExtension;
  const env = () => ({ PROV_HOME: home });

  beforeAll(async () => {
    server = await startRecordingServer();
    other = await startRecordingServer();
    root = await mkdtemp(path.join(os.tmpdir(), 'prov-policy-root-'));
    home = await mkdtemp(path.join(os.tmpdir(), 'prov-policy-home-'));
    await writeFile(path.join(root, 'settings.json'), '{"zone":"fsn1"}');
    ext = await createTempExtension({
      name: 'policy-ext',
      manifestExtra: `[permissions]
http = ["${server.origin}", "${other.origin}"]
fs_read = ["${root}"]
secrets = ["api.token"]
`,
      source: providerSource({
        listServers: `async listServers(_input: unknown, ctx: any) {
    const outcomes: Record<string, unknown> = {};
    const attempt = async (label: string, run: () => Promise<unknown>) => {
      try { outcomes[label] = await run(); } catch (error: any) { outcomes[label] = { code: error.code, message: error.message, hint: error.hint }; }
    };
    await attempt('server', () => ctx.http.fetch('${server.origin}/a').then((r: any) => r.status));
    await attempt('other', () => ctx.http.fetch('${other.origin}/b').then((r: any) => r.status));
    await attempt('unlisted', () => ctx.http.fetch('https://example.org/').then((r: any) => r.status));
    await attempt('settings', () => ctx.fs.readFile('${root}/settings.json'));
    return outcomes;
  }`,
        getPricing: `async getPricing(_input: unknown, ctx: any) {
    for (let i = 0; i < 100; i++) await ctx.fs.exists('${root}/settings.json');
    return 'done';
  }`,
        getZones: `async getZones(_input: unknown, ctx: any) {
    const response = await ctx.http.fetch('${server.origin}/token', { headers: { authorization: 'Bearer {{secret:api.token}}' } });
    return response.status;
  }`,
      }),
      files: {},
    });
  });

  afterAll(async () => {
    await Promise.all([server.close(), other.close()]);
    await ext.cleanup();
    await rm(root, { recursive: true, force: true });
    await rm(home, { recursive: true, force: true });
  });

  it('grants manifest ∩ (policy file + flags); each denial names the exact flag or manifest line', async () => {
    const policy = path.join(home, 'ops-policy.toml');
    // The policy grants more than the manifest asks for (example.org, /): that never widens the grant.
    await writeFile(policy, `[extensions.policy-ext]\nhttp = ["${server.origin}", "example.org"]\nfs_read = ["/"]\n`);
    const run = await runProv(['run', ext.dir, 'list-servers', '--json', '--policy', policy], { env: env() });
    expect(run.code, run.stderr).toBe(0);
    const outcomes = run.json.result;
    expect(outcomes.server).toBe(200);
    expect(outcomes.settings).toBe('{"zone":"fsn1"}');
    expect(outcomes.other).toEqual({
      code: 'PermissionDenied',
      message: `Requires http access to "${other.origin}", which metadata.toml asks for but the operator has not granted`,
      hint: `Run with --allow-http ${other.origin}, add it to the policy file, or record it with "prov grant ${ext.dir}".`,
    });
    expect(outcomes.unlisted).toEqual({
      code: 'PermissionDenied',
      message: 'Requires http access to "example.org"; metadata.toml does not ask for it',
      hint: 'Add it to [permissions] in metadata.toml: http = ["example.org"]; the operator then grants it with --allow-http example.org.',
    });
    expect(other.requests).toHaveLength(0);

    const withFlag = await runProv(['run', ext.dir, 'list-servers', '--json', '--policy', policy, '--allow-http', other.origin], { env: env() });
    expect(withFlag.json.result.other).toBe(200);
  });

  it('caps limits from the policy: an extension cannot raise them', async () => {
    const policy = path.join(home, 'limits-policy.toml');
    await writeFile(policy, `[limits]\nhost_calls = 1000\n[extensions.policy-ext.limits]\nhost_calls = 50\n`);
    const run = await runProv(['run', ext.dir, 'get-pricing', '--json', '--policy', policy, '--allow-read', root], { env: env() });
    expect(run.code).toBe(5);
    expect(run.json.error).toMatchObject({ code: 'LimitExceeded', message: 'ctx.fs.exists: more than 50 host calls in one operation' });
    const roomy = await runProv(['run', ext.dir, 'get-pricing', '--json', '--allow-read', root], { env: env() });
    expect(roomy.json).toMatchObject({ ok: true, result: 'done' });
  });

  it('refuses a policy file it cannot understand, naming the field', async () => {
    const policy = path.join(home, 'bad-policy.toml');
    await writeFile(policy, '[extensions.policy-ext]\nhtp = ["x"]\n');
    const run = await runProv(['run', ext.dir, 'list-servers', '--json', '--policy', policy], { env: env() });
    expect(run.code).toBe(2);
    expect(run.json.error.code).toBe('PolicyInvalid');
    expect(run.json.error.message).toContain('extensions.policy-ext');
    expect(run.json.error.message).toContain('htp');
  });

  it('prov grant --yes records what the manifest asks for in $PROV_HOME/policy.toml; later runs need no flags', async () => {
    const grantHome = await mkdtemp(path.join(os.tmpdir(), 'prov-grant-home-'));
    try {
      const refused = await runProv(['grant', ext.dir], { env: { PROV_HOME: grantHome } });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('prov grant needs --yes');
      const granted = await runProv(['grant', ext.dir, '--yes', '--json'], { env: { PROV_HOME: grantHome } });
      expect(granted.json).toMatchObject({ ok: true, result: { extension: 'policy-ext', granted: { http: [server.origin, other.origin], fs_read: [root], secrets: ['api.token'] } } });
      const written = await readFile(path.join(grantHome, 'policy.toml'), 'utf8');
      expect(written).toContain('[extensions.policy-ext]');
      const run = await runProv(['run', ext.dir, 'list-servers', '--json'], { env: { PROV_HOME: grantHome } });
      expect(run.json.result).toMatchObject({ server: 200, other: 200, settings: '{"zone":"fsn1"}' });
      // An impostor: the same name and manifest in another directory gets none of those grants.
      const impostor = path.join(grantHome, 'elsewhere', 'policy-ext');
      await cp(ext.dir, impostor, { recursive: true });
      const stolen = await runProv(['run', impostor, 'list-servers', '--json'], { env: { PROV_HOME: grantHome } });
      expect(stolen.json.result.server).toMatchObject({ code: 'PermissionDenied' });
      expect(stolen.json.result.settings).toMatchObject({ code: 'PermissionDenied' });
      expect(stolen.stderr).toContain(`note: the policy's [extensions.policy-ext] is bound to ${ext.dir}, not ${impostor}: not applied`);
    } finally {
      await rm(grantHome, { recursive: true, force: true });
    }
  });

  it('asks on a terminal, listing what is not granted; "for this run" grants it once', async () => {
    const promptHome = await mkdtemp(path.join(os.tmpdir(), 'prov-prompt-home-'));
    try {
      const once = await runOnTerminal(['run', ext.dir, 'list-servers', '--json'], { PROV_HOME: promptHome }, '\x1b[B\r');
      expect(once.output).toContain('policy-ext 0.1.0 asks for what you have not granted:');
      expect(once.output).toContain(`http         http access to "${server.origin}"`);
      expect(once.output).toContain(`fs_read      read access to "${root}"`);
      expect(once.output).toContain('"server":200');
      // Nothing was recorded: a second run without a terminal is denied again.
      const after = await runProv(['run', ext.dir, 'list-servers', '--json'], { env: { PROV_HOME: promptHome } });
      expect(after.json.result.server).toMatchObject({ code: 'PermissionDenied' });
      const denied = await runOnTerminal(['run', ext.dir, 'list-servers', '--json'], { PROV_HOME: promptHome }, '\r');
      expect(denied.output).toContain('"server":{"code":"PermissionDenied"');
      const noPrompt = await runOnTerminal(['run', ext.dir, 'list-servers', '--json', '--no-prompt'], { PROV_HOME: promptHome }, '');
      expect(noPrompt.output).not.toContain('asks for what you have not granted');
    } finally {
      await rm(promptHome, { recursive: true, force: true });
    }
  });

  it('reads secrets from a 0600 secrets file and refuses one that others can read', async () => {
    const secretHome = await mkdtemp(path.join(os.tmpdir(), 'prov-secret-home-'));
    try {
      const file = path.join(secretHome, 'secrets.toml');
      await writeFile(file, '"api.token" = "from-the-file"\n');
      await chmod(file, 0o644);
      const args = ['run', ext.dir, 'get-zones', '--json', '--allow-http', server.origin, '--allow-secret', 'api.token'];
      const open = await runProv(args, { env: { PROV_HOME: secretHome } });
      expect(open.code).toBe(2);
      expect(open.json.error).toMatchObject({ code: 'PolicyInvalid', hint: `Run: chmod 600 ${file}` });
      await chmod(file, 0o600);
      const ok = await runProv(args, { env: { PROV_HOME: secretHome } });
      expect(ok.json).toMatchObject({ ok: true, result: 200 });
      expect(server.requests.at(-1)!.headers.authorization).toBe('Bearer from-the-file');
      // The environment wins over the file.
      await runProv(args, { env: { PROV_HOME: secretHome, PROV_SECRET_API_TOKEN: 'from-env' } });
      expect(server.requests.at(-1)!.headers.authorization).toBe('Bearer from-env');
      const missing = await runProv(args, { env: { PROV_HOME: home } });
      expect(missing.json).toMatchObject({ ok: false, error: { code: 'SecretNotFound' } });
      expect(missing.json.error.hint).toContain('PROV_SECRET_API_TOKEN');
    } finally {
      await rm(secretHome, { recursive: true, force: true });
    }
  });

  it('never lets fs reach $PROV_HOME, the secrets file or the policy file, whatever the grant', async () => {
    const outer = await mkdtemp(path.join(os.tmpdir(), 'prov-reserved-'));
    try {
      const provHome = path.join(outer, 'prov-home');
      const policy = path.join(outer, 'ops', 'policy.toml');
      await mkdir(path.join(outer, 'ops'), { recursive: true });
      await mkdir(provHome, { recursive: true });
      await writeFile(path.join(provHome, 'secrets.toml'), '"api.token" = "never-read-me"\n', { mode: 0o600 });
      await writeFile(policy, '[limits]\nmemory_mb = 128\n');
      await symlink(provHome, path.join(outer, 'innocent-link'));
      const reader = await createTempExtension({
        manifestExtra: `[permissions]\nfs_read = ["${outer}"]\n`,
        source: providerSource({
          getZones: `async getZones(_input: unknown, ctx: any) {
    const out: Record<string, unknown> = {};
    for (const file of ['${provHome}/secrets.toml', '${outer}/innocent-link/secrets.toml', '${policy}', '${provHome}/audit/audit.jsonl']) {
      try { out[file] = await ctx.fs.readFile(file); } catch (error: any) { out[file] = error.code + ': ' + error.message; }
    }
    return out;
  }`,
        }),
      });
      try {
        const run = await runProv(['run', reader.dir, 'get-zones', '--json', '--allow-read', outer, '--policy', policy], { env: { PROV_HOME: provHome } });
        expect(run.code, run.stderr).toBe(0);
        for (const [file, outcome] of Object.entries(run.json.result as Record<string, string>)) {
          expect(outcome, file).toBe(`PermissionDenied: ${file} is prov's own state ($PROV_HOME, the secrets or policy file); no extension reaches it`);
        }
        expect(run.stdout).not.toContain('never-read-me');
      } finally {
        await reader.cleanup();
      }
    } finally {
      await rm(outer, { recursive: true, force: true });
    }
  });

  it('audits every gated call, and --suggest prints the least grant', async () => {
    const auditHome = await mkdtemp(path.join(os.tmpdir(), 'prov-audit-home-'));
    try {
      await runProv(['run', ext.dir, 'list-servers', '--json', '--allow-http', server.origin, '--allow-read', root], { env: { PROV_HOME: auditHome } });
      await runProv(['run', ext.dir, 'list-servers', '--check', '--json', '--allow-http', server.origin], { env: { PROV_HOME: auditHome } });
      const audit = await runProv(['audit', '--json', '--ext', 'policy-ext'], { env: { PROV_HOME: auditHome } });
      const records = audit.json.result as Record<string, unknown>[];
      expect(records).toHaveLength(8);
      expect(records.slice(0, 4).map((record) => [record['call'], record['decision'], record['target']])).toEqual([
        ['http.fetch', 'allowed', `${server.origin}/a`],
        ['http.fetch', 'denied', `${other.origin}/b`],
        ['http.fetch', 'denied', 'https://example.org/'],
        ['fs.readFile', 'allowed', `${root}/settings.json`],
      ]);
      expect(records[0]).toMatchObject({ extension: 'policy-ext', version: '0.1.0', operation: 'listServers', capability: 'http', changed: false, error: null, bytes_in: 11 });
      expect(records[3]).toMatchObject({ bytes_in: 15, permission: { key: 'fs_read', value: `${root}/settings.json` } });
      expect(records[7]).toMatchObject({ call: 'fs.readFile', decision: 'denied' });

      const human = await runProv(['audit', '--ext', 'policy-ext'], { env: { PROV_HOME: auditHome } });
      expect(human.stdout.split('\n')[1]).toMatch(/ denied +policy-ext@0\.1\.0 listServers {2}http\.fetch http:\/\/127\.0\.0\.1:\d+\/b$/);
      expect(human.stderr).toContain('8 audited call(s)');
      const none = await runProv(['audit', '--json', '--since', '2999-01-01'], { env: { PROV_HOME: auditHome } });
      expect(none.json.result).toEqual([]);
      const recent = await runProv(['audit', '--json', '--since', '1h'], { env: { PROV_HOME: auditHome } });
      expect(recent.json.result).toHaveLength(8);

      const suggest = await runProv(['audit', '--suggest', 'policy-ext'], { env: { PROV_HOME: auditHome } });
      expect(suggest.stdout).toContain('from 8 audited call(s), 5 of them denied');
      const hosts = [server.origin, other.origin, 'example.org'].sort();
      expect(suggest.stdout).toContain(`http = [ ${hosts.map((host) => `"${host}"`).join(', ')} ]`);
      expect(suggest.stdout).toContain(`fs_read = [ "${root}/settings.json" ]`);
      expect(suggest.stdout).toContain(`${hosts.map((host) => `--allow-http ${host}`).join(' ')} --allow-read ${root}/settings.json`);
      const json = await runProv(['audit', '--suggest', 'policy-ext', '--json'], { env: { PROV_HOME: auditHome } });
      expect(json.json.result.permissions).toEqual({ http: [server.origin, other.origin, 'example.org'].sort(), fs_read: [`${root}/settings.json`] });
    } finally {
      await rm(auditHome, { recursive: true, force: true });
    }
  });
});

/**
 * Runs prov on a pseudo-terminal (util-linux `script`), typing `keys` once
 * the prompt shows; returns everything the terminal showed.
 */
function runOnTerminal(args: string[], env: NodeJS.ProcessEnv, keys: string): Promise<{ code: number | null; output: string }> {
  const quoted = [process.execPath, '--no-node-snapshot', PROV_BIN, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', quoted, '/dev/null'], { cwd: REPO_ROOT, env: { ...process.env, ...env, TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let typed = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!typed && output.includes('Grant it?')) {
        typed = true;
        child.stdin.write(keys);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
