import { readFileSync } from 'node:fs';
import path from 'node:path';
import { escapeControl } from '../data/control-characters.js';

/** `  12 | text` and a caret under the column: the line a finding points at, read from the file now. */
export function codeFrame(dir: string, file: string, line: number, column?: number): string[] {
  let text: string | undefined;
  try {
    text = readFileSync(path.join(dir, file), 'utf8').split(/\r?\n/)[line - 1];
  } catch {
    return [];
  }
  if (text === undefined) return [];
  const gutter = String(line).length;
  const shown = escapeControl(text);
  return [`  ${line} | ${shown}`, ...(column === undefined ? [] : [`  ${' '.repeat(gutter)} | ${' '.repeat(Math.max(0, column - 1))}^`])];
}
