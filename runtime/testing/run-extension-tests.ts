import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { ProvError } from '../errors/index.js';
import { readManifest } from '../manifest/read-manifest.js';
import { packageRoot } from '../package-root.js';

/** Where `prov test` looks, below the extension's directory. */
export const TESTS_DIR = 'tests';
const TEST_FILE = /\.test\.ts$/;

export interface RunExtensionTestsOptions {
  /** Where vitest's report goes (the CLI: stdout, or stderr under --json). */
  report: NodeJS.WritableStream;
  /** Where vitest's own errors go. */
  errors: NodeJS.WritableStream;
}

/** One failed test, or a test file that could not run (`test` is null then). */
export interface TestFailure {
  /** Relative to the extension's directory. */
  file: string;
  /** `describe > it`, as vitest names it. */
  test: string | null;
  message: string;
}

export interface ExtensionTestReport {
  dir: string;
  /** The test files run, relative to `dir`. */
  files: string[];
  passed: number;
  failed: number;
  skipped: number;
  failures: TestFailure[];
  duration_ms: number;
}

/**
 * `prov test`: runs `<dir>/tests/**\/*.test.ts` with vitest, rooted at the
 * extension. `prov/testing`, `prov/sdk` and `prov` resolve to this prov,
 * whether or not the extension has a node_modules; the extension's own
 * vitest config, if any, is not read. Throws TestsFailed (with the report
 * in details) when a test fails or a file cannot run.
 */
export async function runExtensionTests(extensionDir: string, options: RunExtensionTestsOptions): Promise<ExtensionTestReport> {
  const dir = path.resolve(extensionDir);
  await readManifest(dir); // not an extension: ManifestNotFound, before vitest starts
  const files = await findTestFiles(dir);
  if (files.length === 0) {
    throw new ProvError('Usage', `No tests in ${path.join(dir, TESTS_DIR)}: prov test runs ${TESTS_DIR}/**/*.test.ts`, {
      hint: `Add a test such as ${TESTS_DIR}/index.test.ts that loads the extension with loadForTest from 'prov/testing' (prov new makes one for each kind).`,
    });
  }
  const started = performance.now();
  const { startVitest } = await import('vitest/node');
  const exitCode = process.exitCode; // vitest sets it on failure; the CLI decides its own
  // Vite's caches go to a directory of this run, never into the extension (or a shared /tmp path).
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'prov-test-cache-'));
  const vitest = await startVitest(
    'test',
    [],
    {
      root: dir,
      config: false,
      watch: false,
      include: [`${TESTS_DIR}/**/*.test.ts`],
      // isolated-vm needs --no-node-snapshot, which only a forked worker can be given.
      pool: 'forks',
      execArgv: ['--no-node-snapshot'],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      reporters: ['default'],
      // prov itself runs as plain Node modules in the test workers, not through Vite's transform.
      server: { deps: { external: [new RegExp(`^${escapeRegExp(provDist())}`)] } },
    },
    {
      resolve: { alias: provAliases() },
      cacheDir,
    },
    { stdout: options.report as Writable, stderr: options.errors as Writable },
  ).catch(async (error: unknown) => {
    process.exitCode = exitCode;
    await rm(cacheDir, { recursive: true, force: true });
    throw error;
  });
  try {
    const report: ExtensionTestReport = { dir, files, passed: 0, failed: 0, skipped: 0, failures: [], duration_ms: 0 };
    for (const module of vitest.state.getTestModules()) {
      const file = path.relative(dir, module.moduleId);
      for (const error of module.errors()) report.failures.push({ file, test: null, message: error.message ?? String(error) });
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') report.passed += 1;
        else if (result.state === 'skipped') report.skipped += 1;
        else {
          report.failed += 1;
          const message = result.errors?.[0]?.message ?? `the test did not finish (${result.state})`;
          report.failures.push({ file, test: test.fullName, message });
        }
      }
    }
    for (const error of vitest.state.getUnhandledErrors()) {
      report.failures.push({ file: '(unhandled)', test: null, message: error instanceof Error ? error.message : String((error as { message?: unknown })?.message ?? error) });
    }
    report.duration_ms = Math.round(performance.now() - started);
    if (report.failures.length > 0) {
      const names = report.failures.map((failure) => `  ${failure.file}${failure.test === null ? '' : ` > ${failure.test}`}: ${firstLine(failure.message)}`);
      const what = report.failed > 0 ? `${report.failed} of ${report.failed + report.passed} test(s) failed` : 'a test file could not run';
      throw new ProvError('TestsFailed', `${what} in ${dir}:\n${names.join('\n')}`, {
        hint: 'The report above has each failure with its diff and stack; run prov test again after fixing them.',
        details: { report: report as unknown as Record<string, unknown> },
      });
    }
    return report;
  } finally {
    await vitest.close();
    process.exitCode = exitCode;
    await rm(cacheDir, { recursive: true, force: true });
  }
}

/** `tests/**\/*.test.ts`, relative to the extension, sorted; node_modules skipped. */
async function findTestFiles(dir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(path.join(dir, TESTS_DIR), { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
  return entries
    .filter((entry) => TEST_FILE.test(entry) && !entry.split(path.sep).includes('node_modules'))
    .map((entry) => path.join(TESTS_DIR, entry))
    .sort();
}

/** `prov/testing`, `prov/sdk`, `prov/sdk/zod` and `prov` → this installation's dist/, exactly (no prefix matches). */
function provAliases(): { find: RegExp; replacement: string }[] {
  const dist = provDist();
  return [
    { find: /^prov\/testing$/, replacement: path.join(dist, 'runtime', 'testing', 'index.js') },
    { find: /^prov\/sdk\/zod$/, replacement: path.join(dist, 'host-api', 'sdk', 'zod.js') },
    { find: /^prov\/sdk$/, replacement: path.join(dist, 'host-api', 'sdk', 'index.js') },
    { find: /^prov$/, replacement: path.join(dist, 'runtime', 'index.js') },
  ];
}

function provDist(): string {
  return path.join(packageRoot(), 'dist');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}
