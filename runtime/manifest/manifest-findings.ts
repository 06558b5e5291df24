import { parseTomlSource } from './parse-toml-source.js';
import { locateTomlKey } from './locate-toml-key.js';
import { strictManifestSchema } from './strict-manifest-schema.js';

/** One thing wrong with a manifest, where it is, and what to do. */
export interface ManifestFinding {
  rule: 'schema';
  severity: 'error' | 'warning';
  file: string;
  line?: number;
  column?: number;
  /** Dotted path of the field (`permissions.htp`). */
  field: string;
  message: string;
  hint?: string;
}

/**
 * Every schema finding of a metadata.toml, not the first: TOML syntax
 * errors with their position and line, unknown keys with a "did you mean"
 * when a known key is close, and field-level errors located in the file.
 */
export function manifestFindings(source: string, file: string): ManifestFinding[] {
  const parsed = parseTomlSource(source);
  if ('syntax' in parsed) {
    const { line, column, lineText, reason } = parsed.syntax;
    const why = reason.replace(/^Invalid TOML document:\s*/, '').replace(/[:\s]+$/, '');
    if (lineText.trim() !== '') {
      return [{ rule: 'schema', severity: 'error', file, line, column, field: '(syntax)', message: `TOML syntax: ${why}: ${lineText.trim()}`, hint: 'Fix the TOML syntax at that position (https://toml.io).' }];
    }
    // The parser ran off the end (an unclosed [ or { or string): the last line with text is where it was left open.
    const lines = source.split(/\r?\n/);
    let last = Math.min(line, lines.length) - 1;
    while (last > 0 && lines[last]!.trim() === '') last--;
    return [{
      rule: 'schema', severity: 'error', file, line, column, field: '(syntax)',
      message: `TOML syntax: ${why} at the end of the file; line ${last + 1} leaves something open: ${lines[last]!.trim()}`,
      hint: 'Close the array, table or string that line opens (https://toml.io).',
    }];
  }
  const raw = parsed.raw;
  const result = strictManifestSchema.safeParse(raw);
  if (result.success) return [];
  const findings: ManifestFinding[] = [];
  for (const issue of result.error.issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const field = [...base, key];
        const known = knownKeys(base);
        const close = closest(key, known);
        const where = locateTomlKey(source, field);
        findings.push({
          rule: 'schema', severity: 'error', file, ...(where === undefined ? {} : { line: where.line }), field: field.join('.'),
          message: `unknown key "${key}"${base.length === 0 ? '' : ` in [${base.join('.')}]`}`,
          hint: close === undefined ? `Known keys here: ${known.join(', ')}.` : `Did you mean "${close}"?`,
        });
      }
      continue;
    }
    const where = locateTomlKey(source, issue.path as (string | number)[]);
    findings.push({
      rule: 'schema', severity: 'error', file, ...(where === undefined ? {} : { line: where.line }), field: base.join('.') || '(top level)',
      message: issue.message,
    });
  }
  return findings;
}

/** The keys the schema knows at a path (for hints). */
function knownKeys(pathParts: string[]): string[] {
  let schema: unknown = strictManifestSchema;
  for (const part of pathParts) {
    const shape = shapeOf(schema);
    if (shape === undefined) return [];
    schema = shape[part];
  }
  return Object.keys(shapeOf(schema) ?? {});
}

function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  let current = schema as { shape?: Record<string, unknown>; unwrap?: () => unknown } | undefined;
  for (let depth = 0; depth < 4 && current !== undefined; depth++) {
    if (current.shape !== undefined) return current.shape;
    current = typeof current.unwrap === 'function' ? (current.unwrap() as typeof current) : undefined;
  }
  return undefined;
}

/** The known key within edit distance 2 (or a third of its length) of `key`, if there is one. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const kept = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = kept;
    }
  }
  return row[b.length]!;
}
