import { createHash } from 'node:crypto';
import { createTwoFilesPatch } from 'diff';
import type { PlanEntry } from '../../../runtime/sandbox/operation-result.js';

/** Diffs longer than this are cut in the plan (the summary still says what changes). */
const MAX_DIFF_CHARS = 64 * 1024;

/** A planned write: a unified diff against the current file, or why there is none. */
export function planFileWrite(
  file: string,
  current: Buffer | undefined,
  unreadable: string | undefined,
  next: Buffer,
  encoding: BufferEncoding,
  creates: boolean,
): PlanEntry {
  const changes = current === undefined || !current.equals(next);
  const base = { capability: 'fs', call: 'fs.writeFile', target: file, changes };
  if (unreadable !== undefined) {
    return { ...base, summary: `replace a file prov cannot show (${unreadable}) with ${next.length} bytes` };
  }
  if (!changes) return { ...base, summary: 'same bytes as the current file: no change' };
  const summary = creates ? `create with ${next.length} bytes` : `rewrite: ${current!.length} → ${next.length} bytes`;
  if (encoding === 'base64' || isBinary(next) || (current !== undefined && isBinary(current))) {
    return { ...base, summary: `${summary} (binary, sha256 ${createHash('sha256').update(next).digest('hex').slice(0, 16)}…)` };
  }
  let diff = createTwoFilesPatch(file, file, current?.toString('utf8') ?? '', next.toString('utf8'), undefined, undefined, { headerOptions: { includeIndex: false, includeUnderline: false, includeFileHeaders: true } })
    .replace(/\t$/gm, '');
  if (diff.length > MAX_DIFF_CHARS) diff = `${diff.slice(0, MAX_DIFF_CHARS)}\n… diff cut at ${MAX_DIFF_CHARS} characters\n`;
  return { ...base, summary, diff };
}

function isBinary(data: Buffer): boolean {
  return data.subarray(0, 8000).includes(0);
}
