import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTempExtension, providerSource } from '../helpers/temp-extension.js';
import { runProv } from '../helpers/run-cli.js';

describe('manifests the runtime cannot use', () => {
  it('a directory without metadata.toml: ManifestNotFound, exit 2', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'prov-empty-'));
    try {
      const run = await runProv(['run', dir, 'info', '--json']);
      expect(run.code).toBe(2);
      expect(run.json.error).toEqual({
        code: 'ManifestNotFound',
        message: `No metadata.toml in ${dir}`,
        hint: 'Point prov at an extension directory (one with metadata.toml), or create one with "prov new".',
        details: { file: path.join(dir, 'metadata.toml') },
      });
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('TOML syntax errors name file, line and column and show the line', async () => {
    const ext = await createTempExtension({
      manifest: '[extension]\nname = "broken"\ntype = "provider\nversion = "0.1.0"\n',
      source: providerSource({}),
    });
    try {
      const run = await runProv(['run', ext.dir, 'info']);
      expect(run.code).toBe(3);
      const file = path.join(ext.dir, 'metadata.toml');
      expect(run.stderr).toContain(`error[ManifestSyntax]: ${file}:3:`);
      expect(run.stderr).toContain('3 | type = "provider');
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await ext.cleanup();
    }
  });

  it('invalid fields are all named, with their lines', async () => {
    const ext = await createTempExtension({
      manifest: '[extension]\nname = "Bad Name"\ntype = "plugin"\nversion = "1.0"\n\n[limits]\nmemory_mb = 4\n',
      source: providerSource({}),
    });
    try {
      const run = await runProv(['run', ext.dir, 'info', '--json']);
      expect(run.code).toBe(3);
      expect(run.json.error.code).toBe('ManifestInvalid');
      expect(run.json.error.details.findings).toEqual([
        { field: 'extension.name', line: 2, message: 'must match ^[a-z][a-z0-9-]{1,62}$ (lower-case letters, digits, dashes; 2–63 characters)' },
        { field: 'extension.type', line: 3, message: 'must be one of provider, taskserv, cluster' },
        { field: 'extension.version', line: 4, message: 'must be a semantic version such as 1.2.0' },
        { field: 'limits.memory_mb', line: 7, message: 'must be at least 8' },
      ]);
    } finally {
      await ext.cleanup();
    }
  });

  it('a manifest type that does not match the definition: InvalidExtension, exit 3', async () => {
    const ext = await createTempExtension({ type: 'taskserv', source: providerSource({}) });
    try {
      const run = await runProv(['run', ext.dir, 'info', '--json']);
      expect(run.code).toBe(3);
      expect(run.json.error.code).toBe('InvalidExtension');
      expect(run.json.error.message).toBe('test-ext: metadata.toml says type = "taskserv", but src/index.ts defines a provider');
    } finally {
      await ext.cleanup();
    }
  });

  it('a default export that is not a definition: InvalidExtension', async () => {
    const ext = await createTempExtension({ source: 'export default { createServer() {} };\n' });
    try {
      const run = await runProv(['run', ext.dir, 'info', '--json']);
      expect(run.code).toBe(3);
      expect(run.json.error.code).toBe('InvalidExtension');
      expect(run.json.error.message).toContain('must export default defineProvider');
    } finally {
      await ext.cleanup();
    }
  });
});
