/**
 * The dev loop's figure: edit → rebuilt → validated → reloaded → first
 * `--run` result, on the scaffolded provider, through `DevEnv` with the
 * chokidar watcher `prov dev` uses (the time starts before the file is
 * written, so the watcher's notice and the debounce are in it). Beside it,
 * in the same run, the baseline an author has without `prov dev`: a cold
 * `prov build` process then a cold `prov run` process.
 *
 *   npm run bench             # the whole suite, this figure last
 *   npm run bench:dev         # this figure alone
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DevEnv } from '../dist/runtime/dev/dev-env.js';
import type { DevEvent } from '../dist/runtime/dev/dev-events.js';
import { chokidarWatcher } from '../dist/runtime/cli/chokidar-watcher.js';
import { newExtension } from '../dist/runtime/scaffold/new-extension.js';
import { provCli } from './prov-cli.js';
import { formatMs, formatRatio, summarize } from './stats.js';

export const DEV_EDITS = 50;
const BASELINE_RUNS = 10;
/** Between a cycle's end and the next save: an author saves seconds apart; 300 ms lets the next sandbox host finish starting (it is spawned as the last one loads), as it has in real use. */
const EDIT_GAP_MS = 300;
const INPUT = { hostname: 'web-1', plan: 'small', zone: 'z1' };

export interface DevLoopFigure {
  /** ms per edit, file written → --run result printed. */
  edits: number[];
  /** ms per cold `prov build` + `prov run validate-config` (two processes). */
  cold: number[];
}

export async function measureDevLoop(): Promise<DevLoopFigure> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'prov-bench-dev-'));
  const home = path.join(root, 'home');
  const dir = path.join(root, 'acme');
  await newExtension({ kind: 'provider', name: 'acme', description: 'bench', dir });
  const file = path.join(dir, 'src', 'validate-config.ts');
  const original = await readFile(file, 'utf8');
  let finished: ((event: Extract<DevEvent, { type: 'cycleFinished' }>) => void) | undefined;
  const env = new DevEnv({
    dir,
    watch: chokidarWatcher,
    load: { log: { write() {} }, audit: { write() {} }, env: { PROV_HOME: home }, inventory: [] },
    run: { operation: 'validate-config', input: INPUT, check: true },
    onEvent: (event) => {
      if (event.type === 'cycleFinished') finished?.(event);
    },
  });
  const cycle = () => new Promise<Extract<DevEvent, { type: 'cycleFinished' }>>((resolve) => (finished = resolve));
  const edits: number[] = [];
  const cold: number[] = [];
  try {
    const first = cycle();
    await env.start();
    await first;
    for (let index = 0; index < DEV_EDITS; index++) {
      const next = cycle();
      const start = performance.now();
      await writeFile(file, original.replace('No ssh_keys', `No ssh_keys (${index})`));
      const event = await next;
      if (event.verdict !== 'reloaded') throw new Error(`edit ${index}: the cycle failed at ${event.stage}`);
      edits.push(performance.now() - start);
      // The baseline, interleaved: the machine's noise lands on both.
      if (index % (DEV_EDITS / BASELINE_RUNS) === 0) cold.push(await coldBuildAndRun(dir, home));
      await new Promise((resolve) => setTimeout(resolve, EDIT_GAP_MS));
    }
  } finally {
    await env.close();
    await rm(root, { recursive: true, force: true });
  }
  return { edits, cold };
}

async function coldBuildAndRun(dir: string, home: string): Promise<number> {
  const start = performance.now();
  await prov(['build', dir], home);
  await prov(['run', dir, 'validate-config', '--check', '--input', JSON.stringify(INPUT), '--json'], home);
  return performance.now() - start;
}

async function prov(args: string[], home: string): Promise<void> {
  const run = await provCli(args, home);
  if (run.code !== 0) throw new Error(`prov ${args[0]} exited ${run.code}`);
}

/** The figure as printed lines. */
export function devLoopLines(figure: DevLoopFigure): string[] {
  const edits = summarize(figure.edits);
  const cold = summarize(figure.cold);
  return [
    `dev loop (scaffolded provider, --run validate-config in check mode, saves ${EDIT_GAP_MS} ms after the last cycle): edit → rebuilt → validated → reloaded → result`,
    `  prov dev, per edit:          p50 ${formatMs(edits.p50)}  p95 ${formatMs(edits.p95)}  (n=${edits.n})   target ≤ 50 ms p95: ${edits.p95 <= 50 ? 'met' : 'missed'}`,
    `  cold prov build + prov run:  p50 ${formatMs(cold.p50)}  p95 ${formatMs(cold.p95)}  (n=${cold.n}, baseline, same run)`,
    `  ratio (p50): ${formatRatio(edits.p50 / cold.p50)} of the cold baseline, ${(cold.p50 / edits.p50).toFixed(1)}× faster`,
  ];
}
