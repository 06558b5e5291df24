import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProv, type CliResult } from '../helpers/run-cli.js';

/** What each kind's generated tests/ holds: the test names vitest reports. */
const TEST_COUNT = { provider: 7, taskserv: 5, cluster: 4 } as const;
const TIMEOUT = 120_000;

// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

function provTest(args: string[]): Promise<CliResult> {
  return runProv(['test', ...args], { env: { NO_COLOR: '1' }, timeoutMs: TIMEOUT });
}

describe('prov test', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'prov-test-cmd-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  // What CI checks for every template: prov new, then prov validate and prov test green as generated.
  for (const kind of ['provider', 'taskserv', 'cluster'] as const) {
    it(`passes the tests a new ${kind} comes with, against its sandboxed build, without a node_modules`, { timeout: TIMEOUT }, async () => {
      const dir = path.join(root, `fresh-${kind}`);
      expect((await runProv(['new', kind, `fresh-${kind}`, '--dir', dir])).code).toBe(0);
      expect((await runProv(['validate', dir])).code).toBe(0);
      const result = await provTest([dir]);
      const stdout = plain(result.stdout);
      expect(result.stderr).toMatch(new RegExp(`✓ ${TEST_COUNT[kind]} test\\(s\\) passed in \\d file\\(s\\): ${dir}\\n$`));
      expect(stdout).toMatch(new RegExp(`Tests\\s+${TEST_COUNT[kind]} passed \\(${TEST_COUNT[kind]}\\)`));
      expect(stdout).toContain(`tests/${kind}.test.ts`);
      expect(result.code).toBe(0);
    });
  }

  describe('a failing test', () => {
    let dir: string;

    beforeAll(async () => {
      dir = path.join(root, 'failing');
      expect((await runProv(['new', 'cluster', 'failing', '--dir', dir])).code).toBe(0);
      const file = path.join(dir, 'tests', 'cluster.test.ts');
      const text = await readFile(file, 'utf8');
      const broken = text.replace("['registry', []],", "['registry', ['containerd']],");
      expect(broken).not.toBe(text);
      await writeFile(file, broken);
    });

    it('exits 1 and names the test, with vitest\'s diff in the report', { timeout: TIMEOUT }, async () => {
      const result = await provTest([dir]);
      expect(result.code).toBe(1);
      const output = plain(result.stdout + result.stderr);
      expect(output).toContain('FAIL  tests/cluster.test.ts > failing > declares its components with their dependencies, as prov orders them');
      expect(output).toContain('"containerd"');
      expect(plain(result.stderr)).toContain(
        `error[TestsFailed]: 1 of 4 test(s) failed in ${dir}:\n  tests/cluster.test.ts > failing > declares its components with their dependencies, as prov orders them: expected`,
      );
    });

    it('--json: one document on stdout with each failure; the report goes to stderr', { timeout: TIMEOUT }, async () => {
      const result = await provTest([dir, '--json']);
      expect(result.code).toBe(1);
      expect(result.json).toEqual({
        ok: false,
        error: {
          code: 'TestsFailed',
          message: expect.stringMatching(/^1 of 4 test\(s\) failed in /),
          hint: expect.any(String),
          details: {
            report: {
              dir,
              files: ['tests/cluster.test.ts'],
              passed: 3,
              failed: 1,
              skipped: 0,
              failures: [{ file: 'tests/cluster.test.ts', test: 'failing > declares its components with their dependencies, as prov orders them', message: expect.stringContaining('expected') }],
              duration_ms: expect.any(Number),
            },
          },
        },
      });
      expect(plain(result.stderr)).toContain('FAIL  tests/cluster.test.ts');
    });

    it('exits 1 for a test file that cannot even load', { timeout: TIMEOUT }, async () => {
      const broken = path.join(root, 'broken');
      expect((await runProv(['new', 'cluster', 'broken', '--dir', broken])).code).toBe(0);
      await writeFile(path.join(broken, 'tests', 'import.test.ts'), "import { nothing } from './no-such-module.js';\nnothing();\n");
      const result = await provTest([broken, '--json']);
      expect(result.code).toBe(1);
      expect(result.json.error.code).toBe('TestsFailed');
      expect(result.json.error.details.report.failures).toEqual([{ file: 'tests/import.test.ts', test: null, message: expect.stringContaining('no-such-module') }]);
    });
  });

  it('--json on success: the report as the result', { timeout: TIMEOUT }, async () => {
    const dir = path.join(root, 'json');
    expect((await runProv(['new', 'cluster', 'json', '--dir', dir])).code).toBe(0);
    const result = await provTest([dir, '--json']);
    expect(result.code).toBe(0);
    expect(result.json).toEqual({
      ok: true,
      result: { dir, files: ['tests/cluster.test.ts'], passed: 4, failed: 0, skipped: 0, failures: [], duration_ms: expect.any(Number) },
    });
  });

  it('refuses an extension without tests, and a directory that is not an extension (exit 2)', async () => {
    const dir = path.join(root, 'untested');
    expect((await runProv(['new', 'cluster', 'untested', '--dir', dir])).code).toBe(0);
    await rm(path.join(dir, 'tests'), { recursive: true });
    const none = await provTest([dir, '--json']);
    expect(none.code).toBe(2);
    expect(none.json.error).toEqual({
      code: 'Usage',
      message: `No tests in ${path.join(dir, 'tests')}: prov test runs tests/**/*.test.ts`,
      hint: "Add a test such as tests/index.test.ts that loads the extension with loadForTest from 'prov/testing' (prov new makes one for each kind).",
    });
    const human = await provTest([dir]);
    expect(human.code).toBe(2);
    expect(human.stderr).toMatch(/^error\[Usage\]: No tests in /);

    const notExtension = await provTest([root, '--json']);
    expect(notExtension.code).toBe(2);
    expect(notExtension.json.error.code).toBe('ManifestNotFound');
  });
});
