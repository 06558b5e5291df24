/**
 * prov's benchmark suite (started by bench/run.ts; `npm run bench`).
 *
 *   npm run bench                          # extensions/hetzner, or the stand-in if it is missing
 *   npm run bench -- --extension <dir>     # another extension with getPlans and validateConfig
 *
 * Every figure is printed beside a baseline sampled in the same run, in
 * interleaved rounds, as a ratio: the machine is shared and noisy, so
 * absolute numbers only mean something next to their baseline. Targets are
 * reported, never enforced.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { version as esbuildVersion } from 'esbuild';
import { ProcessPerOpBaseline } from './baselines/process-per-op.js';
import { InHostBaseline } from './baselines/in-host.js';
import { measureColdLoad } from './cold-load.js';
import { measureHostRoundTrip } from './host-roundtrip.js';
import { NOOP_OPERATION, writeProbeExtension } from './probe-extension.js';
import { formatMs, formatRatio, summarize, type Summary } from './stats.js';
import { GET_PLANS, loadSandbox, prepareSubject, VALIDATE_CONFIG, type OperationCall, type Subject } from './subject.js';
import { renderTable } from './table.js';
import { measureWarmCalls } from './warm-call.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const DEFAULT_EXTENSION = path.join(ROOT, 'extensions', 'hetzner');
/** bundleExtension runs timed up front (the first includes starting esbuild's service). */
const BUNDLE_RUNS = 6;
/** Interleaved rounds per figure (cold load takes more: its samples are few and slow). */
const ROUNDS = 10;
const COLD_ROUNDS = 24;

// ---------------------------------------------------------------- set-up

const started = performance.now();
const { values: args } = parseArgs({ options: { extension: { type: 'string' } } });
const requestedDir = path.resolve(args.extension ?? process.env['PROV_BENCH_EXTENSION'] ?? DEFAULT_EXTENSION);

printHeader();

const probeTemp = await writeProbeExtension();
const cleanups: (() => Promise<void>)[] = [probeTemp.cleanup];
try {
  const probe = await prepareSubject(probeTemp.dir, 1);
  const subject = await chooseSubject(requestedDir, probe);
  const subjectLabel = subject.dir === probe.dir ? 'stand-in provider (bench/probe-extension.ts)' : displayPath(subject.dir);
  const processPerOp = await ProcessPerOpBaseline.create(subject);
  cleanups.push(() => processPerOp.cleanup());
  await checkBaselinesAgree(subject, processPerOp);

  const bundleKb = Buffer.byteLength(subject.bundle.code) / 1024;
  const bundleTime = summarize(subject.bundleMs.slice(1));
  console.log(`extension: ${subjectLabel} (${subject.identity.name} ${subject.identity.version})`);
  console.log(
    `bundle:    ${bundleKb.toFixed(1)} KB; esbuild bundleExtension p50 ${formatMs(bundleTime.p50)}, p95 ${formatMs(bundleTime.p95)} ` +
      `(n=${bundleTime.n}; first run ${formatMs(subject.bundleMs[0]!)} incl. esbuild start) — done once up front, not in any figure below`,
  );
  console.log('');

  // ---------------------------------------------------------------- figures

  progress('cold load');
  const cold = await measureColdLoad(subject, GET_PLANS, processPerOp, COLD_ROUNDS);
  progress('warm calls');
  const [warmPlans, warmValidate] = await measureWarmCalls(subject, [GET_PLANS, VALIDATE_CONFIG], ROUNDS);
  const [warmNoop] = await measureWarmCalls(probe, [{ operation: NOOP_OPERATION, input: undefined }], ROUNDS);
  progress('guest→host round trip');
  const roundTrip = await measureHostRoundTrip(probe, ROUNDS);
  progress('');

  // ---------------------------------------------------------------- table

  const processBase = summarize(cold.processPerOp);
  const rows: Row[] = [
    coldRow('cold load, uncached: getPlans', summarize(cold.uncached), processBase, 8),
    coldRow('cold load, warm code cache: getPlans', summarize(cold.cached), processBase, 3),
    warmRow('warm op call: getPlans', summarize(warmPlans!.prov), summarize(warmPlans!.inHost), 100),
    warmRow('warm op call: validateConfig', summarize(warmValidate!.prov), summarize(warmValidate!.inHost), 100),
    warmRow('warm op call: no-op (probe)', summarize(warmNoop!.prov), summarize(warmNoop!.inHost), undefined),
    warmRow(
      `guest→host round trip (ctx.log.debug ×${roundTrip.callsPerOperation})`,
      summarize(roundTrip.prov),
      summarize(roundTrip.inHost),
      100,
    ),
  ];
  console.log(
    renderTable(
      [
        { title: 'figure', align: 'left' },
        { title: 'n', align: 'right' },
        { title: 'prov p50', align: 'right' },
        { title: 'prov p95', align: 'right' },
        { title: 'baseline', align: 'left' },
        { title: 'base p50', align: 'right' },
        { title: 'ratio', align: 'right' },
        { title: 'target', align: 'left' },
        { title: 'met', align: 'left' },
      ],
      rows.map((row) => [
        row.figure,
        String(row.prov.n),
        formatMs(row.prov.p50),
        formatMs(row.prov.p95),
        row.baselineName,
        formatMs(row.baseline.p50),
        row.ratio,
        row.targets.map((target) => target.text).join(', ') || '—',
        row.targets.map((target) => (target.met ? 'yes' : 'NO')).join(', ') || '—',
      ]),
    ),
  );
  const unmet = rows.flatMap((row) => row.targets.filter((target) => !target.met).map((target) => `${row.figure} — ${target.text}`));
  console.log('');
  console.log(unmet.length === 0 ? 'All targets met.' : `Targets not met (${unmet.length}; reported, not enforced):\n${unmet.map((line) => `  - ${line}`).join('\n')}`);
  console.log(`
baselines, sampled in the same run, interleaved with prov's samples:
  process/op  a new \`node\` per operation (${displayPath(process.execPath)}) evaluating the same bundle with a fake ctx;
              timed from spawn to the result line on stdout (n=${processBase.n}).
  in-host     the same bundle evaluated with new Function in this process, operations called directly with a
              fake ctx (zod validation included); per-call mean of batches of calls.
ratio: cold-load rows: baseline p50 / prov p50 ("faster" = prov is faster); other rows: prov p50 / baseline p50.
round trip: per-call = one operation's time / ${roundTrip.callsPerOperation}; the operation's own fixed cost is included.
cold load = Sandbox.load (new isolate, prelude, bundle) + the first call; uncached: a new MemoryCodeCache per load.`);

  // ---------------------------------------------------------------- details

  const cachedLoad = summarize(cold.cachedLoadOnly);
  const cachedTotal = summarize(cold.cached);
  const bare = summarize(cold.bareIsolate);
  const uncached = summarize(cold.uncached);
  console.log(`
details:
  new ivm.Isolate + createContext (floor of any cold load)  p50 ${formatMs(bare.p50)}, p95 ${formatMs(bare.p95)}
  warm cache: Sandbox.load p50 ${formatMs(cachedLoad.p50)} + first call ≈ ${formatMs(cachedTotal.p50 - cachedLoad.p50)}; code cache saves ≈ ${formatMs(uncached.p50 - cachedTotal.p50)} per load (p50)
  code cache: ${cold.cacheBytes.map((bytes) => `${(bytes / 1024).toFixed(1)} KB`).join(' + ')} (prelude + bundle); rejected by V8 on ${cold.cacheRejections} of ${cold.warmLoads} warm loads
  process/op p95 ${formatMs(processBase.p95)}; in-host p95: getPlans ${formatMs(summarize(warmPlans!.inHost).p95)}, validateConfig ${formatMs(summarize(warmValidate!.inHost).p95)}, round trip ${formatMs(summarize(roundTrip.inHost).p95)}
  load average at end: ${os.loadavg().map((load) => load.toFixed(2)).join(' ')}; whole bench ${formatMs(performance.now() - started)}`);
} finally {
  for (const cleanup of cleanups) await cleanup();
}

// ---------------------------------------------------------------- helpers

interface Target {
  text: string;
  met: boolean;
}

interface Row {
  figure: string;
  prov: Summary;
  baselineName: string;
  baseline: Summary;
  ratio: string;
  targets: Target[];
}

function coldRow(figure: string, prov: Summary, base: Summary, p50TargetMs: number): Row {
  const speedup = base.p50 / prov.p50;
  return {
    figure,
    prov,
    baselineName: 'process/op',
    baseline: base,
    ratio: speedup >= 1 ? `${formatRatio(speedup)} faster` : `${formatRatio(1 / speedup)} slower`,
    targets: [
      { text: `p50 ≤ ${p50TargetMs} ms`, met: prov.p50 <= p50TargetMs },
      { text: 'process/op ≥ 10× slower', met: speedup >= 10 },
    ],
  };
}

function warmRow(figure: string, prov: Summary, base: Summary, p95TargetUs: number | undefined): Row {
  const overhead = prov.p50 / base.p50;
  return {
    figure,
    prov,
    baselineName: 'in-host',
    baseline: base,
    ratio: overhead >= 1 ? `${formatRatio(overhead)} slower` : `${formatRatio(1 / overhead)} faster`,
    targets: p95TargetUs === undefined ? [] : [{ text: `p95 ≤ ${p95TargetUs} µs`, met: prov.p95 * 1000 <= p95TargetUs }],
  };
}

/** Uses the requested extension if it bundles, loads and answers both operations; otherwise the stand-in. */
async function chooseSubject(dir: string, probe: Subject): Promise<Subject> {
  const missing = ['metadata.toml', path.join('src', 'index.ts')].filter((file) => !existsSync(path.join(dir, file)));
  let reason: string;
  if (missing.length > 0) {
    reason = `${missing.join(' and ')} not found`;
  } else {
    try {
      const subject = await prepareSubject(dir, BUNDLE_RUNS);
      const sandbox = await loadSandbox(subject);
      try {
        for (const call of [GET_PLANS, VALIDATE_CONFIG]) await sandbox.call(call.operation, call.input);
      } finally {
        sandbox.dispose();
      }
      return subject;
    } catch (error) {
      reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    }
  }
  console.log(`NOTE: ${displayPath(dir)} is not usable yet (${reason}).`);
  console.log('      Falling back to the bench\'s stand-in provider (getPlans, validateConfig with a zod input).');
  console.log('');
  return prepareSubject(probe.dir, BUNDLE_RUNS);
}

/** The three ways of running an operation should produce the same result, or the comparison is of unlike work. */
async function checkBaselinesAgree(subject: Subject, processPerOp: ProcessPerOpBaseline): Promise<void> {
  const sandbox = await loadSandbox(subject);
  const inHost = new InHostBaseline(subject);
  try {
    for (const call of [GET_PLANS, VALIDATE_CONFIG] satisfies OperationCall[]) {
      const prov = JSON.stringify((await sandbox.call(call.operation, call.input)).result);
      const direct = JSON.stringify(await inHost.call(call));
      const child = JSON.stringify((await processPerOp.run(call)).result);
      if (prov !== direct || prov !== child) {
        console.log(`WARNING: ${call.operation} gives different results in prov, in-host and process/op; the ratios may compare unlike work:`);
        for (const [who, json] of [['prov', prov], ['in-host', direct], ['process/op', child]]) console.log(`  ${who}: ${json?.slice(0, 200)}`);
      }
    }
  } finally {
    sandbox.dispose();
  }
}

function printHeader(): void {
  const require = createRequire(import.meta.url);
  const ivmVersion = (require('isolated-vm/package.json') as { version: string }).version;
  const cpus = os.cpus();
  console.log('prov benchmark');
  console.log(`date:      ${new Date().toISOString()}`);
  console.log(`node:      ${process.version} (V8 ${process.versions.v8}); isolated-vm ${ivmVersion}; esbuild ${esbuildVersion}`);
  console.log(`machine:   ${os.type()} ${os.release()} ${os.arch()}; ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}; load average ${os.loadavg().map((load) => load.toFixed(2)).join(' ')}`);
  console.log(`prov:      ${provRevision()}`);
  console.log('');
}

function provRevision(): string {
  const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'runtime', 'host-api'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${version} @ ${commit}${dirty === '' ? '' : ' + uncommitted changes in runtime/ or host-api/'}`;
  } catch {
    return version;
  }
}

function displayPath(file: string): string {
  const relative = path.relative(ROOT, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** A transient status line on stderr (only on a terminal), so a run does not look hung. */
function progress(stage: string): void {
  if (!process.stderr.isTTY) return;
  process.stderr.write(stage === '' ? '\r\x1b[K' : `\r\x1b[Kmeasuring ${stage}…`);
}
