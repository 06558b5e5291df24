import { parse, TomlError } from 'smol-toml';
import { toPlainData } from '../data/plain-data.js';

/** Where TOML text stops being TOML: the position, that line's text and the parser's reason. */
export interface TomlSyntax {
  line: number;
  column: number;
  lineText: string;
  reason: string;
}

/** TOML text as prototype-free data, or where its syntax is wrong (what prov run and prov validate both report). */
export function parseTomlSource(source: string): { raw: unknown } | { syntax: TomlSyntax } {
  try {
    return { raw: toPlainData(parse(source)) };
  } catch (error) {
    if (!(error instanceof TomlError)) return { syntax: { line: 1, column: 1, lineText: source.split(/\r?\n/)[0] ?? '', reason: (error as Error).message } };
    return {
      syntax: {
        line: error.line,
        column: error.column,
        lineText: source.split(/\r?\n/)[error.line - 1] ?? '',
        reason: error.message.split('\n')[0]!.trim(),
      },
    };
  }
}
