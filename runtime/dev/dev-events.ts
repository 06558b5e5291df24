import type { ExtensionBundle } from '../build/bundle-extension.js';
import type { ProvError } from '../errors/index.js';
import type { LoadedExtension } from '../extension/load-extension.js';
import type { OperationResult } from '../sandbox/operation-result.js';
import type { Finding } from '../validate/finding.js';

/** How long each stage of a cycle took, in milliseconds. */
export interface CycleTimings {
  build?: number;
  validate?: number;
  load?: number;
  run?: number;
  test?: number;
  /** From the first change seen to the end of the cycle (debounce included). */
  total: number;
}

/** What `--test` reports of one run of the extension's tests. */
export interface TestSummary {
  ok: boolean;
  passed: number;
  failed: number;
  /** The failures as the test runner printed them. */
  output?: string;
}

/**
 * Everything that happens in a dev session, as data. Controllers emit these
 * and `DevEnv.dispatch` routes each one: to the next controller of the
 * cycle, and to the listener (the CLI's reporter). Every cycle event
 * carries its cycle number; an event of a cycle a newer change replaced is
 * dropped (and whatever it loaded, disposed).
 */
export type DevEvent =
  | { type: 'filesChanged'; paths: string[]; at: number }
  | { type: 'cycleStarted'; cycle: number; paths: string[] }
  | { type: 'built'; cycle: number; bundle: ExtensionBundle; ms: number }
  | { type: 'buildFailed'; cycle: number; error: ProvError; ms: number }
  | { type: 'validated'; cycle: number; findings: Finding[]; ms: number }
  | { type: 'loaded'; cycle: number; extension: LoadedExtension; ms: number }
  | { type: 'loadFailed'; cycle: number; error: ProvError; ms: number }
  | { type: 'reloaded'; cycle: number; extension: LoadedExtension; previous?: LoadedExtension }
  | { type: 'ran'; cycle: number; operation: string; check: boolean; outcome?: OperationResult; error?: ProvError; ms: number }
  | { type: 'tested'; cycle: number; summary?: TestSummary; error?: ProvError; ms: number }
  | { type: 'cycleFinished'; cycle: number; verdict: 'reloaded' | 'failed'; stage?: 'build' | 'validate' | 'load'; timings: CycleTimings; paths: string[] }
  | { type: 'cycleCancelled'; cycle: number }
  | { type: 'closed' };

export type DevEventListener = (event: DevEvent) => void;
