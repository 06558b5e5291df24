import type { PlainValue } from '../data/plain-data.js';
import { toProvError, type ProvError } from '../errors/index.js';
import type { PlanEntry } from '../sandbox/operation-result.js';
import { escapeControl, escapeLines } from '../data/control-characters.js';

/** Where a command writes; swapped in tests. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** For prompts; only used when it and stderr are terminals. */
  stdin?: NodeJS.ReadableStream;
}

export interface SuccessDocument {
  result: PlainValue;
  changed?: boolean;
  plan?: PlanEntry[];
}

/** `--json`: exactly one document on stdout. */
export function printJsonSuccess(io: CliIo, document: SuccessDocument): void {
  io.stdout.write(`${JSON.stringify({ ok: true, ...document })}\n`);
}

export function printJsonError(io: CliIo, error: ProvError): void {
  io.stdout.write(`${JSON.stringify({ ok: false, error: error.toJSON() })}\n`);
}

/** A user error is code, message and hint; an internal one adds its stack when PROV_DEBUG is set. */
export function printHumanError(io: CliIo, error: ProvError): void {
  const lines = [`error[${error.code}]: ${escapeLines(error.message)}`];
  if (error.hint !== undefined) lines.push(`  hint: ${escapeControl(error.hint)}`);
  if (!error.isUserError && process.env['PROV_DEBUG']) {
    const cause = error.cause instanceof Error ? error.cause.stack : String(error.cause);
    lines.push(`  cause: ${cause}`);
  }
  io.stderr.write(`${lines.join('\n')}\n`);
}

/** Prints an error in the requested format and returns the exit code. */
export function reportError(io: CliIo, thrown: unknown, json: boolean): number {
  const error = toProvError(thrown);
  if (json) printJsonError(io, error);
  else printHumanError(io, error);
  return error.exitCode;
}

/** Human output of a result: pretty JSON on stdout, extension text escaped. */
export function printHumanResult(io: CliIo, result: PlainValue): void {
  const text = JSON.stringify(result, null, 2) ?? 'null';
  io.stdout.write(`${escapeLines(text)}\n`);
}

/** An operation's outcome for humans: the result on stdout, a status line (or the check-mode plan) on stderr. */
export function printHumanOutcome(io: CliIo, what: string, outcome: SuccessDocument, tookMs: number): void {
  printHumanResult(io, outcome.result);
  const name = escapeControl(what);
  if (outcome.plan === undefined) {
    io.stderr.write(`✓ ${name}: ${outcome.changed ? 'changed' : 'no change'} (${tookMs} ms)\n`);
  } else if (outcome.plan.length === 0) {
    io.stderr.write(`✓ ${name} (check mode): the plan is empty, nothing would change (${tookMs} ms)\n`);
  } else {
    const entries = outcome.plan.map((entry) => {
      const head = `  ${entry.changes ? '~' : '='} ${entry.call} ${escapeControl(entry.target)}: ${escapeControl(entry.summary)}`;
      if (entry.diff === undefined) return head;
      return `${head}\n${escapeLines(entry.diff).replace(/\n$/, '').split('\n').map((line) => `      ${line}`).join('\n')}`;
    });
    const changing = outcome.plan.filter((entry) => entry.changes).length;
    const verdict = changing === 0 ? 'nothing would change' : `${changing} would change something`;
    io.stderr.write(`✓ ${name} (check mode): ${outcome.plan.length} planned call(s), ${verdict}:\n${entries.join('\n')}\n`);
  }
}

