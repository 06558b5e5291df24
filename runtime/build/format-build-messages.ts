import path from 'node:path';
import type { Message } from 'esbuild';

/**
 * Whether a location's line may be shown: only for the extension's own files
 * and packages, never for a file outside (its line could be anything of the
 * operator's).
 */
function mayQuote(file: string, extensionDir: string): boolean {
  const absolute = path.resolve(extensionDir, file);
  const relative = path.relative(extensionDir, absolute);
  return (!relative.startsWith('..') && !path.isAbsolute(relative)) || absolute.split(path.sep).includes('node_modules');
}

/** One esbuild error as a diagnostic with a code frame, relative to the extension. */
export function formatBuildMessage(message: Message, extensionDir: string): string {
  const location = message.location;
  const notes = message.notes.map((note) => `  note: ${note.text}`);
  if (location === null) return [`error: ${message.text}`, ...notes].join('\n');
  const file = path.relative(extensionDir, path.resolve(extensionDir, location.file)) || location.file;
  if (!mayQuote(location.file, extensionDir)) return [`${file}:${location.line}:${location.column + 1}: error: ${message.text}`, ...notes].join('\n');
  const gutter = String(location.line).length;
  const frame = [
    `${file}:${location.line}:${location.column + 1}: error: ${message.text}`,
    `  ${location.line} | ${location.lineText}`,
    `  ${' '.repeat(gutter)} | ${' '.repeat(location.column)}${'^'.repeat(Math.max(1, location.length))}`,
  ];
  return [...frame, ...notes].join('\n');
}

export function buildMessageDetails(message: Message, extensionDir: string): Record<string, unknown> {
  const location = message.location;
  return {
    text: message.text,
    ...(location === null
      ? {}
      : {
          file: path.relative(extensionDir, path.resolve(extensionDir, location.file)),
          line: location.line,
          column: location.column + 1,
          ...(mayQuote(location.file, extensionDir) ? { lineText: location.lineText } : {}),
        }),
  };
}
