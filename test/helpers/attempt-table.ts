import { expect } from 'vitest';
import type { CliResult } from './run-cli.js';

/**
 * The bypass tables run many attempts in one `prov run`: the extension
 * catches each ctx call and returns one row per attempt, keyed by id.
 */
export function outcomesById<T extends { id: string }>(result: CliResult): Map<string, T> {
  expect(result.json, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toMatchObject({ ok: true });
  return new Map((result.json.result as T[]).map((outcome) => [outcome.id, outcome]));
}

/** A TOML array of strings, for [permissions] in a test manifest. */
export function tomlList(values: string[]): string {
  return `[${values.map((value) => JSON.stringify(value)).join(', ')}]`;
}
