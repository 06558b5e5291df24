import { describe, expect, it } from 'vitest';
import { locateTomlKey } from '../../runtime/manifest/locate-toml-key.js';

const source = `# comment
[extension]
name = "x"
  type = "provider"

[limits]
memory_mb = 4
"timeout_ms" = 5
[permissions]
`;

describe('locateTomlKey', () => {
  it.each([
    [['extension', 'name'], 3, 1],
    [['extension', 'type'], 4, 3],
    [['limits', 'memory_mb'], 7, 1],
    [['limits', 'timeout_ms'], 8, 1],
  ])('finds %j at line %i', (path, line, column) => {
    expect(locateTomlKey(source, path)).toMatchObject({ line, column });
  });

  it('falls back to the table header when the key is missing', () => {
    expect(locateTomlKey(source, ['extension', 'version'])).toMatchObject({ line: 2, text: '[extension]' });
  });

  it('finds a top-level table named by the path', () => {
    expect(locateTomlKey(source, ['permissions'])).toMatchObject({ line: 9 });
  });

  it('does not confuse a key of another table', () => {
    expect(locateTomlKey(source, ['permissions', 'name'])).toMatchObject({ line: 9 });
  });
});
