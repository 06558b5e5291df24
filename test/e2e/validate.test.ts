import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runProv } from '../helpers/run-cli.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '..', 'validate');
const cases = readdirSync(fixtures).filter((name) => !name.startsWith('_') && statSync(path.join(fixtures, name)).isDirectory());
const work = await mkdtemp(path.join(os.tmpdir(), 'prov-validate-'));

/**
 * A case's extension: the valid provider in test/validate/_base (docs and
 * a complete src/index.ts), the case's own files from <case>/extension/ on
 * top (its metadata.toml at least), less the files <case>/without.json names.
 */
async function assemble(name: string, from = path.join(fixtures, name, 'extension'), dir = path.join(work, name)): Promise<string> {
  await cp(path.join(fixtures, '_base'), dir, { recursive: true });
  await cp(from, dir, { recursive: true });
  const without = path.join(fixtures, name, 'without.json');
  if (existsSync(without)) {
    for (const file of JSON.parse(await readFile(without, 'utf8')) as string[]) await rm(path.join(dir, file));
  }
  return dir;
}

/**
 * The case's registry: each folder of <case>/registered/, in name order,
 * assembled on _base like the case itself and registered into a PROV_HOME of
 * the case's own (the dependency rule reads it).
 */
async function registry(name: string): Promise<NodeJS.ProcessEnv> {
  const home = path.join(work, `${name}.home`);
  const registered = path.join(fixtures, name, 'registered');
  for (const each of existsSync(registered) ? readdirSync(registered).sort() : []) {
    const dir = await assemble(name, path.join(registered, each), path.join(work, `${name}.registered`, each));
    const run = await runProv(['register', dir, '--force'], { env: { PROV_HOME: home } });
    expect(run.code, run.stderr).toBe(0);
  }
  return { PROV_HOME: home };
}

/**
 * `prov validate`, table-driven: one folder per broken extension under
 * test/validate/<case>/ (what differs from the valid _base), its expected
 * findings beside it in <case>/expected.json (exactly those, in order).
 */
describe('prov validate', () => {
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  for (const name of cases) {
    it(`${name}: exactly its expected findings`, async () => {
      const dir = await assemble(name);
      const expected = JSON.parse(await readFile(path.join(fixtures, name, 'expected.json'), 'utf8')) as { severity: string }[];
      const run = await runProv(['validate', dir, '--json'], { env: await registry(name) });
      const errors = expected.filter((finding) => finding.severity === 'error').length;
      const findings = errors > 0 ? run.json.error.details.findings : run.json.result.findings;
      expect(findings, run.stdout + run.stderr).toHaveLength(expected.length);
      expected.forEach((finding, index) => expect(findings[index]).toMatchObject(finding));
      expect(run.code).toBe(errors > 0 ? 3 : 0);
      if (errors > 0) expect(run.json.error.code).toBe('ValidationFailed');

      // The same findings for humans: grouped under their file, one line each, with the hint below.
      const human = await runProv(['validate', dir], { env: await registry(name) });
      expect(human.code).toBe(run.code);
      const findingLines = human.stderr.split('\n').filter((line) => /^ {2}(\d+(:\d+)?: )?(error|warning) \[/.test(line));
      expect(findingLines, human.stderr).toHaveLength(expected.length);
      for (const finding of expected as { file: string; severity: string; rule: string; message: string; line?: number; column?: number; hint?: string }[]) {
        const where = finding.line === undefined ? '' : `${finding.line}${finding.column === undefined ? '' : `:${finding.column}`}: `;
        const line = `  ${where}${finding.severity} [${finding.rule}] ${finding.message.split('\n')[0]}`;
        expect(human.stderr, `${finding.message}`).toContain(line);
        expect(human.stderr.slice(0, human.stderr.indexOf(line))).toContain(`${finding.file}\n`);
        if (finding.hint !== undefined) expect(human.stderr).toContain(`      hint: ${finding.hint}`);
      }
    });
  }

  it('groups findings by file for humans, with hints, and passes the reference extensions', async () => {
    const run = await runProv(['validate', await assemble('operation-typo')]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('src/index.ts\n  error [interface] the provider does not define get-plans (getPlans)\n      hint: Did you mean "getPlans"? The extension defines "getPlan".');
    expect(run.stderr).toContain('✗ 1 error(s), 0 warning(s)');
    for (const name of ['hetzner', 'webdemo']) {
      const clean = await runProv(['validate', path.resolve(here, '..', '..', 'extensions', name), '--json']);
      expect(clean.json, clean.stdout).toMatchObject({ ok: true, result: { errors: 0, warnings: 0, findings: [] } });
    }
  });
});
