/**
 * Text from an extension is escaped before it reaches a terminal: control
 * characters (including newlines, which could forge prov's own lines),
 * escape sequences and bidirectional overrides become visible escapes.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (char) => {
    switch (char) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
    }
  });
}

/** The length `escapeControl(text)` would have, without building it (`\n` prints as two characters, `\u202e` as six). */
export function printedLength(text: string): number {
  let length = text.length;
  for (const [char] of text.matchAll(UNSAFE)) length += char === '\n' || char === '\r' || char === '\t' ? 1 : 5;
  return length;
}

/** Escapes every line of a multi-line text but keeps its line breaks (prov's own messages with frames). */
export function escapeLines(text: string): string {
  return text.split('\n').map(escapeControl).join('\n');
}
