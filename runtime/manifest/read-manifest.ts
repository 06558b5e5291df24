import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ProvError } from '../errors/index.js';
import { locateTomlKey } from './locate-toml-key.js';
import { parseTomlSource } from './parse-toml-source.js';
import { manifestSchema, type Manifest } from './manifest-schema.js';

export const MANIFEST_FILE = 'metadata.toml';

export interface LoadedManifest {
  manifest: Manifest;
  /** Absolute path of metadata.toml. */
  file: string;
  source: string;
}

/** Reads and checks `<dir>/metadata.toml`: coded errors name the file, line and field. */
export async function readManifest(extensionDir: string): Promise<LoadedManifest> {
  const file = path.resolve(extensionDir, MANIFEST_FILE);
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ProvError('ManifestNotFound', `No ${MANIFEST_FILE} in ${path.resolve(extensionDir)}`, {
        hint: 'Point prov at an extension directory (one with metadata.toml), or create one with "prov new".',
        details: { file },
      });
    }
    throw new ProvError('ManifestNotFound', `Cannot read ${file}: ${(error as Error).message}`, { details: { file } });
  }
  return { manifest: parseManifest(source, file), file, source };
}

export function parseManifest(source: string, file: string): Manifest {
  const parsed = parseTomlSource(source);
  if ('syntax' in parsed) {
    const { line, column, lineText, reason } = parsed.syntax;
    throw new ProvError(
      'ManifestSyntax',
      `${file}:${line}:${column}: ${reason}\n  ${line} | ${lineText}\n  ${' '.repeat(String(line).length)} | ${' '.repeat(Math.max(0, column - 1))}^`,
      {
        hint: 'Fix the TOML syntax at that position (https://toml.io).',
        details: { file, line, column, lineText },
      },
    );
  }
  const raw = parsed.raw;
  const result = manifestSchema.safeParse(raw);
  if (result.success) return result.data;
  const findings = result.error.issues.map((issue) => {
    const field = issue.path.join('.') || '(top level)';
    const where = locateTomlKey(source, issue.path as (string | number)[]);
    return { field, message: issue.message, line: where?.line };
  });
  const lines = findings.map(
    (finding) => `  ${file}${finding.line === undefined ? '' : `:${finding.line}`}: ${finding.field}: ${finding.message}`,
  );
  throw new ProvError('ManifestInvalid', `${file} has ${findings.length} invalid field${findings.length === 1 ? '' : 's'}:\n${lines.join('\n')}`, {
    hint: 'See the metadata.toml format in PRODUCT.md §1; [extension] needs name, type and version.',
    details: { file, findings },
  });
}
