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
async function assemble(name: string): Promise<string> {
  const dir = path.join(work, name);
  await cp(path.join(fixtures, '_base'), dir, { recursive: true });
  await cp(path.join(fixtures, name, 'extension'), dir, { recursive: true });
  const without = path.join(fixtures, name, 'without.json');
  if (existsSync(without)) {
    for (const file of JSON.parse(await readFile(without, 'utf8')) as string[]) await rm(path.join(dir, file));
  }
  return dir;
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
      const run = await runProv(['validate', dir, '--json']);
      const errors = expected.filter((finding) => finding.severity === 'error').length;
      const findings = errors > 0 ? run.json.error.details.findings : run.json.result.findings;
      expect(findings, run.stdout + run.stderr).toHaveLength(expected.length);
      expected.forEach((finding, index) => expect(findings[index]).toMatchObject(finding));
      expect(run.code).toBe(errors > 0 ? 3 : 0);
      if (errors > 0) expect(run.json.error.code).toBe('ValidationFailed');
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
