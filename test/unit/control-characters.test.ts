import { describe, expect, it } from 'vitest';
import { escapeControl, escapeLines, printedLength } from '../../runtime/data/control-characters.js';

describe('escapeControl', () => {
  it.each([
    ['plain text', 'plain text'],
    ['line\nbreak', 'line\\nbreak'],
    ['\u001b[31mred\u001b[0m', '\\u001b[31mred\\u001b[0m'],
    ['bell\u0007', 'bell\\u0007'],
    ['c1\u009b2J', 'c1\\u009b2J'],
    ['bidi\u202eevil', 'bidi\\u202eevil'],
    ['tab\tcr\r', 'tab\\tcr\\r'],
    ['ünïcödé ✓', 'ünïcödé ✓'],
  ])('%j → %j', (input, expected) => {
    expect(escapeControl(input)).toBe(expected);
    expect(printedLength(input)).toBe(expected.length);
  });

  it('escapeLines keeps line breaks but escapes the rest', () => {
    expect(escapeLines('a\u001b[2J\nb')).toBe('a\\u001b[2J\nb');
  });
});
