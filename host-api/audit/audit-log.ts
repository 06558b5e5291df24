import { appendFileSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AuditSink } from '../capability.js';
import type { AuditRecord } from './audit-record.js';

/**
 * The audit log: one JSON line per gated call, appended (O_APPEND: lines from
 * concurrent prov processes do not interleave within a line).
 */
export class FileAuditLog implements AuditSink {
  #ready = false;
  constructor(readonly file: string) {}

  write(record: AuditRecord): void {
    if (!this.#ready) {
      mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      this.#ready = true;
    }
    appendFileSync(this.file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  }
}

export interface AuditQuery {
  extension?: string;
  /** Only records at or after this time. */
  since?: Date;
}

/** The records of the audit log that match, oldest first; a line that is not a record is skipped. */
export async function readAudit(file: string, query: AuditQuery = {}): Promise<AuditRecord[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const records: AuditRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let record: AuditRecord;
    try {
      record = JSON.parse(line) as AuditRecord;
    } catch {
      continue; // a line cut by a crash mid-write
    }
    if (typeof record !== 'object' || record === null || typeof record.time !== 'string') continue;
    if (query.extension !== undefined && record.extension !== query.extension) continue;
    if (query.since !== undefined && Date.parse(record.time) < query.since.getTime()) continue;
    records.push(record);
  }
  return records;
}
