import { escapeControl, escapeLines } from '../data/control-characters.js';
import { toKebabCase } from '../data/operation-names.js';
import type { LoadedExtension } from '../extension/load-extension.js';
import type { CycleTimings, DevEvent } from '../dev/dev-events.js';
import type { Finding } from '../validate/finding.js';
import { codeFrame } from './code-frame.js';
import type { CliIo } from './output.js';

const ms = (value: number | undefined) => (value === undefined ? undefined : `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`);

/**
 * What `prov dev` prints: one status line per cycle with its timings, and
 * around it what the author needs — build errors with their code frames,
 * validation findings with the line they point at, the `--run` result and
 * its plan, a denial with the `[permissions]` line to add.
 */
export class DevReporter {
  #good: { extension: LoadedExtension; at: string } | undefined;
  #lines: string[] = [];

  constructor(
    private readonly io: CliIo,
    private readonly dir: string,
  ) {}

  onEvent(event: DevEvent): void {
    switch (event.type) {
      case 'buildFailed':
        this.#lines.push(escapeLines(event.error.message));
        return;
      case 'validated':
        this.#lines.push(...event.findings.flatMap((finding) => this.#finding(finding)));
        return;
      case 'loadFailed':
        this.#lines.push(`${event.error.code}: ${escapeLines(event.error.message)}`, ...(event.error.hint === undefined ? [] : [`  hint: ${escapeControl(event.error.hint)}`]));
        return;
      case 'reloaded':
        this.#good = { extension: event.extension, at: clock() };
        return;
      case 'ran':
        this.#lines.push(...this.#ran(event));
        return;
      case 'tested':
        if (event.error !== undefined) this.#lines.push(`tests could not run: ${escapeLines(event.error.message)}`);
        else if (event.summary !== undefined && !event.summary.ok && event.summary.output !== undefined) this.#lines.push(escapeLines(event.summary.output));
        this.#testLine = event.summary === undefined ? 'tests ✗' : `tests ${event.summary.passed} passed${event.summary.failed > 0 ? `, ${event.summary.failed} failed` : ''}`;
        return;
      case 'cycleFinished':
        this.#flush(event);
        return;
      case 'closed':
        this.io.stderr.write('prov dev: stopped (watchers closed, sandboxes disposed)\n');
        return;
      default:
        return;
    }
  }

  #testLine: string | undefined;

  #finding(finding: Finding): string[] {
    const where = `${escapeControl(finding.file)}${finding.line === undefined ? '' : `:${finding.line}${finding.column === undefined ? '' : `:${finding.column}`}`}`;
    return [
      `${where}: ${finding.severity} [${finding.rule}] ${escapeLines(finding.message)}`,
      ...(finding.line === undefined ? [] : codeFrame(this.dir, finding.file, finding.line, finding.column)),
      ...(finding.hint === undefined ? [] : [`  hint: ${escapeControl(finding.hint)}`]),
    ];
  }

  #ran(event: Extract<DevEvent, { type: 'ran' }>): string[] {
    const title = `${toKebabCase(event.operation)}${event.check ? ' (check mode)' : ''}`;
    if (event.error !== undefined) {
      const lines = [`✗ ${title}: ${event.error.code}: ${escapeLines(event.error.message)}`];
      if (event.error.hint !== undefined) lines.push(`  hint: ${escapeControl(event.error.hint)}`);
      this.#runLine = `${toKebabCase(event.operation)} ✗ ${event.error.code}`;
      return lines;
    }
    const outcome = event.outcome!;
    const lines = [`${title} →`, ...escapeLines(JSON.stringify(outcome.result, null, 2) ?? 'null').split('\n').map((line) => `  ${line}`)];
    if (outcome.plan !== undefined) {
      lines.push(outcome.plan.length === 0 ? '  plan: nothing would change' : `  plan: ${outcome.plan.length} call(s)`);
      for (const entry of outcome.plan) lines.push(`    ${entry.changes ? '~' : '='} ${entry.call} ${escapeControl(entry.target)}: ${escapeControl(entry.summary)}`);
    }
    this.#runLine = `${toKebabCase(event.operation)} ${ms(event.ms)}`;
    return lines;
  }

  #runLine: string | undefined;

  #flush(event: Extract<DevEvent, { type: 'cycleFinished' }>): void {
    const what = event.paths.length === 0 ? 'start' : event.paths.length === 1 ? event.paths[0]! : `${event.paths[0]} +${event.paths.length - 1}`;
    const stages = timingLine(event.timings, this.#runLine, this.#testLine);
    let status: string;
    if (event.verdict === 'reloaded') {
      const identity = this.#good?.extension.identity;
      status = `✓ reloaded ${escapeControl(identity?.name ?? '')} ${escapeControl(identity?.version ?? '')} · ${stages} (${escapeControl(what)})`;
    } else {
      const still = this.#good === undefined ? 'nothing loaded yet' : `still serving the build of ${this.#good.at}`;
      status = `✗ ${event.stage} failed · ${stages} (${escapeControl(what)}) — ${still}`;
    }
    const body = this.#lines.length > 0 ? `${this.#lines.join('\n')}\n` : '';
    this.io.stderr.write(`${body}[${clock()}] ${status}\n`);
    this.#lines = [];
    this.#runLine = undefined;
    this.#testLine = undefined;
  }
}

function timingLine(timings: CycleTimings, run: string | undefined, test: string | undefined): string {
  const parts = [
    timings.build === undefined ? undefined : `build ${ms(timings.build)}`,
    timings.validate === undefined ? undefined : `validate ${ms(timings.validate)}`,
    timings.load === undefined ? undefined : `load ${ms(timings.load)}`,
    run,
    test,
    `total ${ms(timings.total)}`,
  ];
  return parts.filter((part) => part !== undefined).join(' · ');
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}
