import { describe, expect, it } from 'vitest';
import { notStartingWith } from '../../runtime/build/extension-files-plugin.js';

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
});
