import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProv } from '../helpers/run-cli.js';
import { startRecordingServer, type RecordingServer } from '../helpers/recording-server.js';
import { createTempExtension, providerSource, type TempExtension } from '../helpers/temp-extension.js';

/**
 * Check mode is enforced by the host (PRODUCT.md §3): an extension that
 * tries every mutating call under --check, however it spells them and
 * whatever it catches, leaves no trace, and the plan lists every call.
 */
describe('check mode', () => {
  let server: RecordingServer;
  let root: string;
  let ext: TempExtension;
  let grants: string[];

  beforeAll(async () => {
    server = await startRecordingServer();
    root = await mkdtemp(path.join(os.tmpdir(), 'prov-check-'));
    await writeFile(path.join(root, 'existing.conf'), 'port = 80\nname = "web"\n');
    await writeFile(path.join(root, 'same.conf'), 'unchanged\n');
    await writeFile(path.join(root, 'doomed.txt'), 'bye\n');
    ext = await createTempExtension({
      manifestExtra: `[permissions]
http = ["${server.origin}"]
fs_read = ["${root}"]
fs_write = ["${root}"]
`,
      source: providerSource({
        createServer: `async createServer(_input: unknown, ctx: any) {
    const r = '${root}';
    const outcomes: unknown[] = [];
    const attempt = async (label: string, run: () => Promise<unknown>) => {
      try { outcomes.push([label, await run()]); } catch (error: any) { outcomes.push([label, error.code]); }
    };
    await attempt('read', () => ctx.fs.readFile(r + '/existing.conf'));
    await attempt('write existing', () => ctx.fs.writeFile(r + '/existing.conf', 'port = 8080\\nname = "web"\\n'));
    await attempt('write new', () => ctx.fs.writeFile(r + '/new.conf', 'fresh\\n'));
    await attempt('write same', () => ctx.fs.writeFile(r + '/same.conf', 'unchanged\\n'));
    await attempt('mkdir', () => ctx.fs.mkdir(r + '/newdir/sub', { recursive: true }));
    await attempt('remove', () => ctx.fs.remove(r + '/doomed.txt'));
    await attempt('post', () => ctx.http.fetch('${server.origin}/servers', { method: 'post', body: { name: 'web-1' } }));
    await attempt('PuT', () => ctx.http.fetch('${server.origin}/servers/1', { method: 'PuT', body: 'x' }));
    await attempt('delete', () => ctx.http.fetch('${server.origin}/servers/1', { method: 'DELETE' }));
    await attempt('get', () => ctx.http.fetch('${server.origin}/servers').then((response: any) => response.status));
    await attempt('denied write', () => ctx.fs.writeFile('/etc/prov-check-mode-test', 'x'));
    return { check: ctx.check, outcomes };
  }`,
        deleteServer: `async deleteServer(_input: unknown, ctx: any) {
    await ctx.fs.writeFile('${root}/same.conf', 'unchanged\\n');
    return 'wrote the same bytes';
  }`,
        startServer: `async startServer(_input: unknown, ctx: any) {
    await ctx.fs.writeFile('${root}/same.conf', 'changed now\\n');
    return 'wrote new bytes';
  }`,
      }),
    });
    grants = ['--allow-http', server.origin, '--allow-read', root, '--allow-write', root];
  });

  afterAll(async () => {
    await server.close();
    await ext.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  it('performs no mutating call, plans every one of them, and still reads', async () => {
    const before = await snapshot(root);
    const run = await runProv(['run', ext.dir, 'create-server', '--check', '--json', ...grants]);
    expect(run.code, run.stderr).toBe(0);
    const outcomes = Object.fromEntries(run.json.result.outcomes as [string, unknown][]);
    expect(run.json.result.check).toBe(true);
    expect(outcomes).toMatchObject({
      read: 'port = 80\nname = "web"\n',
      'write existing': { planned: true },
      'write new': { planned: true },
      'write same': { planned: true },
      mkdir: { planned: true },
      remove: { planned: true },
      post: { planned: true, status: 0 },
      PuT: { planned: true, status: 0 },
      delete: { planned: true, status: 0 },
      get: 200,
      'denied write': 'PermissionDenied',
    });
    // Nothing on disk changed, and the server saw only the GET.
    expect(await snapshot(root)).toEqual(before);
    expect(server.requests.map((request) => request.method)).toEqual(['GET']);

    const plan = run.json.plan as { call: string; target: string; changes: boolean; diff?: string; summary: string }[];
    expect(plan.map((entry) => [entry.call, entry.target, entry.changes])).toEqual([
      ['fs.writeFile', `${root}/existing.conf`, true],
      ['fs.writeFile', `${root}/new.conf`, true],
      ['fs.writeFile', `${root}/same.conf`, false],
      ['fs.mkdir', `${root}/newdir/sub`, true],
      ['fs.remove', `${root}/doomed.txt`, true],
      ['http.fetch', `POST ${server.origin}/servers`, true],
      ['http.fetch', `PUT ${server.origin}/servers/1`, true],
      ['http.fetch', `DELETE ${server.origin}/servers/1`, true],
    ]);
    expect(plan[0]!.diff).toContain('-port = 80\n+port = 8080');
    expect(plan[1]!.diff).toContain('+fresh');
    expect(plan[5]!.summary).toMatch(/^POST .* with 16 bytes \(sha256 [0-9a-f]{16}…\)$/);
    // Under --check, changed says whether the plan would change anything.
    expect(run.json.changed).toBe(true);
  });

  it('prints the plan for humans, diffs included', async () => {
    const run = await runProv(['run', ext.dir, 'create-server', '--check', ...grants]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('(check mode): 8 planned call(s), 7 would change something');
    expect(run.stderr).toContain(`~ fs.writeFile ${root}/existing.conf: rewrite: 23 → 25 bytes`);
    expect(run.stderr).toContain('      +port = 8080');
    expect(run.stderr).toContain(`= fs.writeFile ${root}/same.conf: same bytes as the current file: no change`);
  });

  it('derives changed from the writes: identical bytes are no change, new bytes are', async () => {
    const same = await runProv(['run', ext.dir, 'delete-server', '--json', ...grants]);
    expect(same.json).toMatchObject({ ok: true, result: 'wrote the same bytes', changed: false });
    const different = await runProv(['run', ext.dir, 'start-server', '--json', ...grants]);
    expect(different.json).toMatchObject({ ok: true, result: 'wrote new bytes', changed: true });
    expect(await readFile(path.join(root, 'same.conf'), 'utf8')).toBe('changed now\n');
    const again = await runProv(['run', ext.dir, 'start-server', '--json', ...grants]);
    expect(again.json).toMatchObject({ ok: true, changed: false });
  });
});

/** Every file under `dir` with its bytes and mtime. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir, { recursive: true })).sort()) {
    const file = path.join(dir, name);
    const info = await stat(file);
    out[name] = info.isDirectory() ? 'dir' : `${await readFile(file, 'utf8')}@${info.mtimeMs}`;
  }
  return out;
}
