/**
 * Finds the line of a key such as `limits.memory_mb` in TOML text, so a field
 * error can point at `metadata.toml:14`. A line scanner, not a parser: it
 * understands `[table]` headers and `key =` lines, which is what manifests use.
 * Returns the table header's line when the key itself is absent.
 */
export interface TomlLocation {
  line: number;
  column: number;
  text: string;
}

export function locateTomlKey(source: string, path: readonly (string | number)[]): TomlLocation | undefined {
  const lines = source.split(/\r?\n/);
  const keys = path.filter((part): part is string => typeof part === 'string');
  if (keys.length === 0) return undefined;
  const table = keys.slice(0, -1).join('.');
  const key = keys[keys.length - 1]!;
  let current = '';
  let headerHit: TomlLocation | undefined;
  let topLevelTableHit: TomlLocation | undefined;
  for (let index = 0; index < lines.length; index++) {
    const text = lines[index]!;
    const header = /^\s*\[\s*([A-Za-z0-9_.\-" ]+?)\s*\]\s*(#.*)?$/.exec(text);
    if (header) {
      current = header[1]!.replaceAll('"', '').replace(/\s*\.\s*/g, '.');
      if (current === table) headerHit = { line: index + 1, column: 1, text };
      if (keys.length === 1 && current === key) topLevelTableHit = { line: index + 1, column: 1, text };
      continue;
    }
    const assignment = /^(\s*)("?)([A-Za-z0-9_\-]+)\2\s*=/.exec(text);
    if (assignment && current === table && assignment[3] === key) {
      return { line: index + 1, column: assignment[1]!.length + 1, text };
    }
  }
  return topLevelTableHit ?? headerHit;
}
