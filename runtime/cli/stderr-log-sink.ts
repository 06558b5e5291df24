import type { LogEntry, LogLevel, LogSink } from '../../host-api/capability.js';
import { escapeControl } from '../data/control-characters.js';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Extension logs on stderr, one escaped line each; stdout stays for results. */
export class StderrLogSink implements LogSink {
  constructor(
    private readonly minimum: LogLevel = 'info',
    private readonly stream: NodeJS.WritableStream = process.stderr,
  ) {}

  write(entry: LogEntry): void {
    if (ORDER[entry.level] < ORDER[this.minimum]) return;
    const fields = entry.fields === undefined ? '' : ` ${JSON.stringify(entry.fields)}`;
    this.stream.write(`[${entry.level}] ${escapeControl(entry.extension)}: ${escapeControl(entry.message + fields)}\n`);
  }
}
