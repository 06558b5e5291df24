import type { LogEntry, LogSink } from '../../runtime/index.js';

/** A LogSink that keeps every entry, for assertions. */
export class CollectingLogSink implements LogSink {
  readonly entries: LogEntry[] = [];
  write(entry: LogEntry): void {
    this.entries.push(entry);
  }
  get messages(): string[] {
    return this.entries.map((entry) => entry.message);
  }
}
