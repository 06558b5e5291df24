import { appendFileSync, mkdirSync } from 'node:fs';
import type { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import path from 'node:path';
import type { AuditSink } from '../capability.js';
import type { AuditRecord } from './audit-record.js';

/**
 * The audit log: one JSON line per gated call, appended (O_APPEND: lines from
 * concurrent prov processes do not interleave within a line).
 */
export class FileAuditLog implements AuditSink {
  constructor(readonly file: string) {}

  /** Throws when the line cannot be written (the caller ends the operation); a removed directory is made again. */
  write(record: AuditRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    try {
      appendFileSync(this.file, line, { mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      appendFileSync(this.file, line, { mode: 0o600 });
    }
  }
}

export interface AuditQuery {
  extension?: string;
  /** Only records at or after this time. */
  since?: Date;
}

/** The records of the audit log that match, oldest first, read line by line; a line that is not a record is skipped. */
export async function readAudit(file: string, query: AuditQuery = {}): Promise<AuditRecord[]> {
  let stream: ReturnType<typeof createReadStream>;
  try {
    const handle = await open(file, 'r');
    stream = handle.createReadStream({ encoding: 'utf8' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const records: AuditRecord[] = [];
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
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
