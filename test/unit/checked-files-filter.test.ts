import { describe, expect, it } from 'vitest';
import { realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkedFilesFilter, notStartingWith } from '../../runtime/build/extension-files-plugin.js';
import { packageRoot } from '../../runtime/package-root.js';

/**
 * The build skips its file check only for prov's own installed files; the
 * filter that says which files are checked is a regular expression without
 * lookahead (esbuild's RE2), so it is built from a trie and tested here.
 */
describe('notStartingWith (which files the build checks)', () => {
  const prefixes = ['/opt/prov/dist/', '/opt/prov/node_modules/'];
  const filter = new RegExp(notStartingWith(prefixes));

  it.each([
    ['/opt/prov/dist/host-api/sdk/index.js', false],
    ['/opt/prov/node_modules/zod/v4/mini/index.js', false],
    ['/opt/prov/dist/', false],
    ['/opt/prov/distx/evil.js', true],
    ['/opt/prov/dis', true],
    ['/opt/prov/node_module/x.js', true],
    ['/opt/prov/src/x.ts', true],
    ['/opt/prov', true],
    ['/etc/passwd', true],
    ['/home/op/ext/src/index.ts', true],
    ['/home/op/ext/node_modules/left-pad/index.js', true],
    ['', true],
  ])('%s → checked: %s', (file, checked) => {
    expect(filter.test(file)).toBe(checked);
  });

  it('escapes what regular expressions would read as syntax, and keeps non-ASCII', () => {
    const odd = new RegExp(notStartingWith(['/a.b/[x]+(y)/é/']));
    expect(odd.test('/a.b/[x]+(y)/é/file.js')).toBe(false);
    expect(odd.test('/aXb/[x]+(y)/é/file.js')).toBe(true);
    expect(odd.test('/a.b/[x]+(y)/e/file.js')).toBe(true);
  });

  it('skips only prov\'s own installed files, and nothing at all for an extension that lives among them', () => {
    const prov = realpathSync(packageRoot());
    const elsewhere = checkedFilesFilter(os.tmpdir());
    expect(elsewhere.test(path.join(prov, 'node_modules', 'zod', 'index.js'))).toBe(false);
    expect(elsewhere.test(path.join(prov, 'dist', 'host-api', 'sdk', 'index.js'))).toBe(false);
    expect(elsewhere.test(path.join(prov, 'extensions', 'hetzner', 'src', 'index.ts'))).toBe(true);
    expect(elsewhere.test(path.join(os.tmpdir(), 'ext', 'src', 'index.ts'))).toBe(true);
    // An extension placed under prov's node_modules (or dist) gets no shortcut: every file it reads is checked, its own included.
    for (const inside of [path.join(prov, 'node_modules', 'evil-ext'), path.join(prov, 'dist', 'evil-ext')]) {
      const filter = checkedFilesFilter(inside);
      expect(filter.test(path.join(inside, 'src', 'index.ts'))).toBe(true);
      expect(filter.test(path.join(prov, 'node_modules', 'zod', 'index.js'))).toBe(true);
    }
  });
});
