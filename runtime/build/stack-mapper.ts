import { SourceMap } from 'node:module';
import path from 'node:path';

/**
 * Rewrites V8 stack traces from the isolate so each bundle frame points at
 * the TypeScript source (`src/index.ts:12:7`), relative to the extension.
 * Frames from prov's own prelude are dropped: they are noise to an author.
 */
/** A frame of prov's prelude or of the host (which names host paths); message lines are kept whatever they say. */
function isHostFrame(line: string): boolean {
  if (!line.trimStart().startsWith('at ')) return false;
  return line.includes('prov:prelude.js') || line.includes('file://') || line.includes('node:internal') || line.includes('<isolated-vm boundary>');
}

export class StackMapper {
  readonly #sourceMapJson: string;
  #parsed: SourceMap | undefined;
  readonly #filename: string;
  readonly #mapDir: string;
  readonly #extensionDir: string;

  constructor(options: { sourceMapJson: string; filename: string; mapDir: string; extensionDir: string }) {
    this.#sourceMapJson = options.sourceMapJson;
    this.#filename = options.filename;
    this.#mapDir = options.mapDir;
    this.#extensionDir = options.extensionDir;
  }

  /** Parsed on first use: only errors need it, and a bundle's map can be hundreds of KB. */
  get #map(): SourceMap {
    return (this.#parsed ??= new SourceMap(JSON.parse(this.#sourceMapJson)));
  }

  /** Maps one 1-based position in the bundle to the original file, line and column. */
  originalPosition(line: number, column: number): { file: string; line: number; column: number; name?: string } | undefined {
    const origin = this.#map.findOrigin(line, column) as
      | { fileName?: string; lineNumber?: number; columnNumber?: number; name?: string }
      | Record<string, never>;
    if (origin.fileName === undefined || origin.lineNumber === undefined || origin.columnNumber === undefined) return undefined;
    const absolute = path.resolve(this.#mapDir, origin.fileName);
    const relative = path.relative(this.#extensionDir, absolute);
    return {
      file: relative.startsWith('..') ? absolute : relative,
      line: origin.lineNumber,
      column: origin.columnNumber,
      ...(origin.name ? { name: origin.name } : {}),
    };
  }

  mapStack(stack: string): string {
    const escaped = this.#filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const frame = new RegExp(`${escaped}:(\\d+):(\\d+)`, 'g');
    return stack
      .split('\n')
      // prov's prelude and the host's own frames are not the author's business (and name host paths)
      .filter((line) => !isHostFrame(line))
      .map((line) =>
        line.replace(frame, (whole, l: string, c: string) => {
          const original = this.originalPosition(Number(l), Number(c));
          return original === undefined ? whole : `${original.file}:${original.line}:${original.column}`;
        }),
      )
      .join('\n');
  }
}
