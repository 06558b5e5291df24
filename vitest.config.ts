import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests never touch the operator's ~/.prov: the audit log and caches of runtime-API tests go here.
const provHome = mkdtempSync(path.join(os.tmpdir(), 'prov-test-home-'));

// isolated-vm needs --no-node-snapshot on Node >= 20; the threads pool cannot take that flag.
export default defineConfig({
  test: {
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
    env: { PROV_HOME: provHome },
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'specs', include: ['test/specs/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] },
      },
    ],
  },
});
