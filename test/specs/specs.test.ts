import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runProv } from '../helpers/run-cli.js';

/**
 * Table-driven cases, one folder each (like Deno's tests/specs/permission):
 * `<case>/metadata.toml`, `<case>/src/index.ts` and `<case>/expected.json`
 * with the `prov run` arguments, the exit code and what stdout must contain.
 * Adding a case is adding a folder.
 */
interface Expected {
  about: string;
  args: string[];
  exit: number;
  stdout: unknown;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const cases = readdirSync(here).filter((name) => statSync(path.join(here, name)).isDirectory());

describe('specs', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  for (const name of cases) {
    const dir = path.join(here, name);
    const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected;
    const [operation, ...rest] = expected.args;
    it(`${name}: ${expected.about}`, async () => {
      const run = await runProv(['run', dir, operation!, '--json', ...rest]);
      expect(run.json, run.stderr).toMatchObject(expected.stdout as object);
      expect(run.code).toBe(expected.exit);
    });
  }
});
