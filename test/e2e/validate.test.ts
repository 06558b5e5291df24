import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runProv } from '../helpers/run-cli.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '..', 'validate');
const cases = readdirSync(fixtures).filter((name) => statSync(path.join(fixtures, name)).isDirectory());

/**
 * `prov validate`, table-driven: one folder per broken extension under
 * test/validate/<case>/extension/, its expected findings beside it in
 * <case>/expected.json (exactly those, in order).
 */
describe('prov validate', () => {
  for (const name of cases) {
    it(`${name}: exactly its expected findings`, async () => {
      const dir = path.join(fixtures, name, 'extension');
      const expected = JSON.parse(readFileSync(path.join(fixtures, name, 'expected.json'), 'utf8')) as { severity: string }[];
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
    const run = await runProv(['validate', path.join(fixtures, 'operation-typo', 'extension')]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('src/index.ts\n  error [interface] the provider does not define get-plans (getPlans)\n      hint: Did you mean "getPlans"? The extension defines "getPlan".');
    expect(run.stderr).toContain('✗ 1 error(s), 0 warning(s)');
    for (const name of ['hetzner', 'webdemo']) {
      const clean = await runProv(['validate', path.resolve(here, '..', '..', 'extensions', name), '--json']);
      expect(clean.json, clean.stdout).toMatchObject({ ok: true, result: { errors: 0, warnings: 0, findings: [] } });
    }
  });
});
