import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, DevSession } from '../helpers/dev-session.js';
import { runProv } from '../helpers/run-cli.js';

/**
 * `prov dev` end to end, as an author uses it: a scaffolded provider in a
 * temp dir, edits to its files, and the lines prov prints in answer.
 */
describe('prov dev', { timeout: 120_000 }, () => {
  let root: string;
  let dir: string;
  const env = () => ({ PROV_HOME: path.join(root, 'home') });

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'prov-dev-'));
    dir = path.join(root, 'acme');
    const made = await runProv(['new', 'provider', 'acme', '--dir', dir, '--description', 'Acme cloud', '--json'], { env: env() });
    expect(made.code, made.stderr).toBe(0);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reloads on save, keeps the last good build through a syntax error and a broken manifest, and stops cleanly on Ctrl-C', async () => {
    const input = JSON.stringify({ hostname: 'web-1', plan: 'small', zone: 'z1' });
    const dev = new DevSession([dir, '--run', 'validate-config', '--input', input], env());
    try {
      const first = await dev.next(/\] ✓ reloaded acme 0\.1\.0 · build [\d.]+ ms · validate [\d.]+ ms · load [\d.]+ ms · validate-config [\d.]+ ms · total [\d.]+ ms \(start\)\n/);
      expect(first).toContain('validate-config (check mode) →');
      expect(first).toContain('"No ssh_keys: the server will not be reachable over SSH with a key"');

      // An edit: rebuilt, validated, reloaded, and the operation's new answer.
      const file = path.join(dir, 'src', 'validate-config.ts');
      const original = await readFile(file, 'utf8');
      await writeFile(file, original.replace('No ssh_keys: the server', 'No ssh_keys given: the server'));
      const edited = await dev.next(/\] ✓ reloaded acme 0\.1\.0 · .* \(src\/validate-config\.ts\)\n/);
      expect(edited).toContain('"No ssh_keys given: the server will not be reachable over SSH with a key"');

      // A syntax error: the error with its code frame, and the previous build still serving.
      await writeFile(file, original.replace('const errors: string[] = [];', 'const errors: string[] = [;'));
      const broken = await dev.next(/\] ✗ build failed · build [\d.]+ ms · total [\d.]+ ms \(src\/validate-config\.ts\) — still serving the build of \d\d:\d\d:\d\d\n/);
      expect(broken).toMatch(/Build of acme failed with 1 error:\nsrc\/validate-config\.ts:\d+:\d+: error: Unexpected ";"\n {2}\d+ \| {3}const errors: string\[\] = \[;\n {2} +\| +\^/);
      expect(broken).not.toContain('validate-config (check mode) →');

      // Fixed: reloaded again.
      await writeFile(file, original);
      expect(await dev.next(/\] ✓ reloaded acme 0\.1\.0 · .* \(src\/validate-config\.ts\)\n/)).toContain('"No ssh_keys: the server will not be reachable');

      // The manifest edited into an invalid state: the finding, with the line it points at.
      const manifestFile = path.join(dir, 'metadata.toml');
      const manifest = await readFile(manifestFile, 'utf8');
      await writeFile(manifestFile, manifest.replace('[permissions]', '[permissions]\nhttps = ["api.acme.example"]'));
      const invalid = await dev.next(/\] ✗ validate failed · .* \(metadata\.toml\) — still serving the build of \d\d:\d\d:\d\d\n/);
      expect(invalid).toMatch(/metadata\.toml:\d+: error \[schema\] unknown key "https" in \[permissions\]\n {2}\d+ \| https = \["api\.acme\.example"\]\n/);
      expect(invalid).toContain('https = ["api.acme.example"]');
      expect(invalid).toContain('hint: Did you mean "http"?');
      await writeFile(manifestFile, manifest);
      await dev.next(/\] ✓ reloaded acme 0\.1\.0 · .* \(metadata\.toml\)\n/);

      const children = dev.children();
      expect(children.length).toBeGreaterThan(0); // a sandbox host (and the next one, ready), esbuild
      dev.child.kill('SIGINT');
      expect(await dev.exited).toEqual({ code: 0, signal: null });
      expect(dev.stderr).toContain('prov dev: stopped (watchers closed, sandboxes disposed)');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(children.filter(alive)).toEqual([]);
    } finally {
      if (dev.child.exitCode === null) dev.child.kill('SIGKILL');
    }
  });

  it('shows a call the manifest does not ask for with the [permissions] line to add, and never exits on it', async () => {
    const dev = new DevSession([dir, '--run', 'get-plans'], env());
    try {
      // Asked for by the manifest, not granted by the operator: the flag or grant that would.
      const denied = await dev.next(/\] ✓ reloaded acme 0\.1\.0 · .* get-plans ✗ PermissionDenied · total [\d.]+ ms \(start\)\n/);
      expect(denied).toMatch(/✗ get-plans \(check mode\): PermissionDenied: Requires read access to ".*settings\.json", which metadata\.toml asks for but the operator has not granted\n {2}hint: Run with --allow-read /);
      // Not asked for by the manifest: the exact [permissions] line to add.
      const manifestFile = path.join(dir, 'metadata.toml');
      const manifest = await readFile(manifestFile, 'utf8');
      await writeFile(manifestFile, manifest.replace(/^fs_read = .*$/m, ''));
      try {
        const unasked = await dev.next(/\] ✓ reloaded acme 0\.1\.0 · .* get-plans ✗ PermissionDenied · total [\d.]+ ms \(metadata\.toml\)\n/);
        expect(unasked).toMatch(/PermissionDenied: Requires read access to ".*settings\.json"; metadata\.toml does not ask for it\n {2}hint: Add it to \[permissions\] in metadata\.toml: fs_read = \[".*"\]/);
      } finally {
        await writeFile(manifestFile, manifest);
      }
      dev.child.kill('SIGINT');
      expect((await dev.exited).code).toBe(0);
    } finally {
      if (dev.child.exitCode === null) dev.child.kill('SIGKILL');
    }
  });

  it('--test runs the extension\'s tests after each reload, and shows a failing one', async () => {
    const dev = new DevSession([dir, '--test'], env());
    const testFile = path.join(dir, 'tests', 'provider.test.ts');
    const original = await readFile(testFile, 'utf8');
    try {
      const first = await dev.next(/\] ✓ reloaded acme 0\.1\.0 · .* · tests (\d+) passed · total [\d.]+ ms \(start\)\n/, 90_000);
      const passed = Number(/tests (\d+) passed/.exec(first)![1]);
      expect(passed).toBeGreaterThan(3);
      // Break one assertion: the failure is named, the cycle still reloads (the build is good).
      const broken = original.replace(/expect\(([^)]*)\)\.toBe\(/, 'expect($1).not.toBe(');
      expect(broken).not.toBe(original);
      await writeFile(testFile, broken);
      const failing = await dev.next(new RegExp(`\\] ✓ reloaded acme 0\\.1\\.0 · .* · tests ${passed - 1} passed, 1 failed · total [\\d.]+ ms \\(tests/provider\\.test\\.ts\\)\\n`), 90_000);
      expect(failing).toMatch(/ {2}✗ tests\/provider\.test\.ts > .+: /);
      dev.child.kill('SIGINT');
      expect((await dev.exited).code).toBe(0);
    } finally {
      await writeFile(testFile, original);
      if (dev.child.exitCode === null) dev.child.kill('SIGKILL');
    }
  });
});
