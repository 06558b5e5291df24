import { execFileSync } from 'node:child_process';
import { readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTempExtension, providerSource } from '../helpers/temp-extension.js';
import { REPO_ROOT, runProv } from '../helpers/run-cli.js';

describe('prov build', () => {
  it('bundles an extension outside the repository, without node_modules, to dist/ with a source map', async () => {
    const ext = await createTempExtension({
      source: providerSource({ getPlans: `async getPlans() { return [{ name: greeting.trim(), cores: 1, memory_mb: 1, disk_gb: 1 }]; }` }, `import greeting from '../templates/greeting.txt';`),
      files: { 'templates/greeting.txt': '  small  \n' },
    });
    try {
      const run = await runProv(['build', ext.dir, '--json']);
      expect(run.code).toBe(0);
      const outfile = path.join(ext.dir, 'dist', 'extension.js');
      expect(run.json.result).toMatchObject({ name: 'test-ext', version: '0.1.0', outfile, sourceMap: `${outfile}.map` });
      const code = await readFile(outfile, 'utf8');
      expect(code).toContain('__prov_extension');
      expect(code).toContain('`  small  \n`'); // the template, as a string
      const map = JSON.parse(await readFile(`${outfile}.map`, 'utf8'));
      expect(map.sources).toContain('../src/index.ts');
      const ran = await runProv(['run', ext.dir, 'get-plans', '--json']);
      expect(ran.json.result).toEqual([{ name: 'small', cores: 1, memory_mb: 1, disk_gb: 1 }]);
    } finally {
      await ext.cleanup();
    }
  });

  it('reports every syntax error with a code frame, exit 3', async () => {
    const ext = await createTempExtension({ source: `import { defineProvider } from 'prov/sdk';\nconst a = ;\nconst b = );\nexport default defineProvider({} as any);\n` });
    try {
      const run = await runProv(['build', ext.dir]);
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('error[BuildFailed]: Build of test-ext failed with');
      expect(run.stderr).toContain('src/index.ts:2:11: error: Unexpected ";"');
      expect(run.stderr).toContain('  2 | const a = ;\n    |           ^');
    } finally {
      await ext.cleanup();
    }
  });

  it('refuses Node built-ins with a pointer to ctx', async () => {
    const ext = await createTempExtension({ source: `import { readFileSync } from 'node:fs';\nexport default readFileSync;\n` });
    try {
      const run = await runProv(['build', ext.dir, '--json']);
      expect(run.code).toBe(3);
      expect(run.json.error.code).toBe('BuildFailed');
      expect(run.json.error.message).toContain('"node:fs" is a Node.js built-in, and extensions run without Node');
      expect(run.json.error.details.errors[0]).toMatchObject({ file: 'src/index.ts', line: 1 });
    } finally {
      await ext.cleanup();
    }
  });

  it('maps errors thrown inside a bundled npm dependency to the dependency\'s file and line', async () => {
    const ext = await createTempExtension({
      source: providerSource({ getZones: `async getZones() { return explode(); }` }, `import { explode } from 'tiny-dep';`),
      files: {
        'node_modules/tiny-dep/package.json': '{"name":"tiny-dep","version":"1.0.0","main":"index.js"}',
        'node_modules/tiny-dep/index.js': 'exports.explode = function explode() {\n  const reason = "dependency failure";\n  throw new TypeError(reason);\n};\n',
      },
    });
    try {
      const run = await runProv(['run', ext.dir, 'get-zones', '--json']);
      expect(run.code).toBe(1);
      expect(run.json.error.message).toBe('test-ext get-zones failed: TypeError: dependency failure\n    at node_modules/tiny-dep/index.js:3:9');
      expect(run.json.error.details.stack).toMatch(/src\/index\.ts:\d+:\d+/);
    } finally {
      await ext.cleanup();
    }
  });

  it('reads no file outside the extension: absolute paths, ../ and symlinks are refused', async () => {
    const ext = await createTempExtension({
      source: providerSource(
        { getPlans: 'async getPlans() { return [passwd, viaLink, viaParent]; }' },
        `import passwd from '/etc/passwd' with { type: 'text' };
import viaLink from '../templates/innocent.txt';
import viaParent from '../../operator-secret.txt';`,
      ),
      files: { 'templates/README': 'templates of this extension\n' },
    });
    try {
      const secret = path.join(ext.dir, '..', 'operator-secret.txt');
      await writeFile(secret, 'the operator\'s secret\n');
      await symlink(secret, path.join(ext.dir, 'templates', 'innocent.txt'));
      const run = await runProv(['build', ext.dir, '--json']);
      expect(run.code).toBe(3);
      expect(run.json.error.code).toBe('BuildFailed');
      const texts = run.json.error.details.errors.map((error: { text: string }) => error.text);
      expect(texts).toContain('"/etc/passwd" is outside the extension: a build reads only the extension\'s own files and its node_modules');
      expect(texts.some((text: string) => text.includes('operator-secret.txt" is outside the extension'))).toBe(true);
      expect(run.stdout).not.toContain('root:x:0:0');
      expect(run.stdout).not.toContain("the operator's secret");
    } finally {
      await ext.cleanup();
    }
  });

  it('bundles npm packages hoisted to a node_modules above the extension (a workspace install)', async () => {
    const run = await runProv(['build', path.join(REPO_ROOT, 'extensions', 'hetzner'), '--json']);
    expect(run.code).toBe(0);
  });

  it('follows no input source map: an inline map naming outside files copies nothing into the output', async () => {
    const map = { version: 3, sources: ['/etc/passwd'], mappings: 'AAAA', names: [] };
    const ext = await createTempExtension({
      source: providerSource({ getPlans: 'async getPlans() { return [lib()]; }' }, `import { lib } from './lib.js';`),
      files: {
        'src/lib.js': `export function lib() { return 'lib'; }\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`,
      },
    });
    try {
      const run = await runProv(['build', ext.dir, '--json']);
      expect(run.code).toBe(0);
      const output = JSON.parse(await readFile(path.join(ext.dir, 'dist', 'extension.js.map'), 'utf8'));
      expect(output.sources.some((source: string) => source.includes('passwd'))).toBe(false);
      expect(JSON.stringify(output.sourcesContent)).not.toContain('root:x:0:0');
    } finally {
      await ext.cleanup();
    }
  });

  it('reads no tsconfig.json: an "extends" naming an outside file is ignored', async () => {
    const ext = await createTempExtension({
      source: providerSource({ getPlans: "async getPlans() { return ['ok']; }" }),
      files: { 'tsconfig.json': '{ "extends": "/etc/passwd" }' },
    });
    try {
      const run = await runProv(['build', ext.dir, '--json']);
      expect(run.code).toBe(0);
      expect(run.stdout).not.toContain('root:x');
    } finally {
      await ext.cleanup();
    }
  });

  it('refuses a computed import that would make esbuild search a directory outside the extension', async () => {
    const ext = await createTempExtension({
      source: providerSource({ getPlans: 'async getPlans() { return [String(load)]; }' }, 'const load = (name: string) => import(`../../../../etc/${name}`);'),
    });
    try {
      const run = await runProv(['build', ext.dir, '--json']);
      expect(run.code).toBe(3);
      expect(run.json.error.details.errors).toHaveLength(1);
      expect(run.json.error.details.errors[0].text).toMatch(/^a computed import\(\) or require\(\) in ".*src\/index\.ts" would search \/etc, outside the extension$/);
    } finally {
      await ext.cleanup();
    }
  });

  it('refuses a FIFO instead of hanging on it', async () => {
    const ext = await createTempExtension({
      source: providerSource({ getPlans: 'async getPlans() { return [unit]; }' }, "import unit from '../templates/unit.service';"),
      files: { 'templates/README': 'templates\n' },
    });
    try {
      execFileSync('mkfifo', [path.join(ext.dir, 'templates', 'unit.service')]);
      const run = await runProv(['build', ext.dir, '--json'], { timeoutMs: 20_000 });
      expect(run.code).toBe(3);
      expect(run.json.error.details.errors[0].text).toMatch(/unit\.service" is not a regular file$/);
    } finally {
      await ext.cleanup();
    }
  });

  it('refuses a package.json that is a FIFO or leads outside, before esbuild reads it', async () => {
    const ext = await createTempExtension({ source: providerSource({}) });
    try {
      const secret = path.join(ext.dir, '..', 'npmrc');
      await writeFile(secret, '//registry.example/:_authToken=SECRET-TOKEN\n');
      await symlink(secret, path.join(ext.dir, 'package.json'));
      execFileSync('mkfifo', [path.join(ext.dir, 'src', 'package.json')]);
      const run = await runProv(['build', ext.dir, '--json'], { timeoutMs: 20_000 });
      expect(run.code).toBe(3);
      expect(run.json.error.code).toBe('BuildFailed');
      expect(run.json.error.details.errors.map((error: { text: string }) => error.text).sort()).toEqual([
        `package.json leads outside the extension (to ${await import('node:fs/promises').then((fs) => fs.realpath(secret))})`,
        'src/package.json is not a regular file',
      ]);
      expect(run.stdout).not.toContain('SECRET-TOKEN');
    } finally {
      await ext.cleanup();
    }
  });

  it('sees through comments and parentheses in a computed import', async () => {
    const ext = await createTempExtension({
      source: providerSource({ getPlans: 'async getPlans() { return [String(load)]; }' }, 'const load = (name: string) => import(/* innocent */ (`../../../../etc/${name}`));'),
    });
    try {
      const run = await runProv(['build', ext.dir, '--json']);
      expect(run.code).toBe(3);
      expect(run.json.error.details.errors).toHaveLength(1);
      expect(run.json.error.details.errors[0].text).toMatch(/would search \/etc, outside the extension$/);
    } finally {
      await ext.cleanup();
    }
  });
});
