/**
 * prov's benchmark suite (started by bench/run.ts; `npm run bench`).
 *
 *   npm run bench                          # extensions/hetzner
 *   npm run bench -- --extension <dir>     # another extension with getPlans and validateConfig
 *
 * Every figure is measured on two layers: `Sandbox`, the isolate in a
 * supervised host process (what prov runs; targets apply to these rows), and
 * `IsolateSandbox`, the isolate in this process (the layer's floor). Each is
 * printed beside a baseline sampled in the same run, in interleaved rounds,
 * as a ratio: the machine is shared and noisy, so absolute numbers only mean
 * something next to their baseline. Targets are reported, never enforced.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { version as esbuildVersion } from 'esbuild';
import { IpcEchoBaseline } from './baselines/ipc-echo.js';
import { ProcessPerOpBaseline } from './baselines/process-per-op.js';
import { InHostBaseline } from './baselines/in-host.js';
import { measureColdLoad } from './cold-load.js';
import { series } from './harness.js';
import { measureHostRoundTrip } from './host-roundtrip.js';
import { measureServerCalls, SERVER_CALLS_PER_OPERATION } from './servers-call.js';
import { CHECKED_CALLS_PER_OPERATION, measureCheckedCalls, THROUGHPUT_CALLS, THROUGHPUT_CONCURRENCY } from './checked-call.js';
import { NOOP_OPERATION, writeProbeExtension } from './probe-extension.js';
import { formatMs, formatRatio, summarize, type Summary } from './stats.js';
import {
  disposeSandbox,
  GET_PLANS,
  LAYER_NAMES,
  LAYERS,
  loadIsolateSandbox,
  loadProcessSandbox,
  prepareSubject,
  reapHosts,
  VALIDATE_CONFIG,
  type Layer,
  type OperationCall,
  type Subject,
} from './subject.js';
import { renderTable } from './table.js';
import { devLoopLines, measureDevLoop } from './dev-loop.js';
import { CLUSTER_ROUNDS, clusterDeployLines, measureClusterDeploy } from './cluster-deploy.js';
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
  const subject = await prepareSubject(requestedDir, BUNDLE_RUNS);
  const subjectLabel = displayPath(subject.dir);
  const processPerOp = await ProcessPerOpBaseline.create(subject);
  cleanups.push(() => processPerOp.cleanup());
  await checkBaselinesAgree(subject, processPerOp);
  const echoes = { advanced: await IpcEchoBaseline.start('advanced'), json: await IpcEchoBaseline.start('json') };
  cleanups.push(async () => {
    for (const echo of Object.values(echoes)) await echo.stop();
  });

  const bundleKb = Buffer.byteLength(subject.bundle.code) / 1024;
  const mapKb = Buffer.byteLength(subject.bundle.sourceMapJson) / 1024;
  const bundleTime = summarize(subject.bundleMs.slice(1));
  console.log(`extension: ${subjectLabel} (${subject.identity.name} ${subject.identity.version})`);
  console.log(
    `bundle:    ${bundleKb.toFixed(1)} KB + ${mapKb.toFixed(1)} KB source map; esbuild bundleExtension p50 ${formatMs(bundleTime.p50)}, p95 ${formatMs(bundleTime.p95)} ` +
      `(n=${bundleTime.n}; first run ${formatMs(subject.bundleMs[0]!)} incl. esbuild start) — done once up front, not in any figure below`,
  );
  console.log('');

  // ---------------------------------------------------------------- figures

  progress('cold load');
  const cold = await measureColdLoad(subject, GET_PLANS, processPerOp, COLD_ROUNDS);
  progress('warm calls');
  const [warmPlans, warmValidate] = await measureWarmCalls(subject, [GET_PLANS, VALIDATE_CONFIG], ROUNDS);
  const ipcAdvanced = series('IPC echo, advanced', () => timeOne(() => echoes.advanced.roundTrip()), { warmup: 300, perRound: 200 });
  const ipcJson = series('IPC echo, json', () => timeOne(() => echoes.json.roundTrip()), { warmup: 300, perRound: 200 });
  const [warmNoop] = await measureWarmCalls(probe, [{ operation: NOOP_OPERATION, input: undefined }], ROUNDS, [ipcAdvanced, ipcJson]);
  progress('guest→host round trip');
  const roundTrip = await measureHostRoundTrip(probe, ROUNDS);
  progress('checked capability calls');
  const checked = await measureCheckedCalls(probe, ROUNDS);
  progress('calls on a real server');
  const serverCalls = await measureServerCalls(ROUNDS);
  progress('dev loop');
  const devLoop = await measureDevLoop();
  // Last: the slowest figure by far (minutes of deploys against a target of its own).
  progress('cluster deploy');
  const clusterDeploy = await measureClusterDeploy(CLUSTER_ROUNDS).catch((error: unknown) => {
    // A broken deploy is reported, not timed; the other figures are still worth printing.
    process.exitCode = 1;
    return { failed: error instanceof Error ? error.message : String(error) };
  });
  progress('');

  // ---------------------------------------------------------------- table

  const processBase = summarize(cold.processPerOp);
  const coldPair = (figure: string, samples: Record<Layer, number[]>, p50TargetMs: number): Row[] =>
    LAYERS.map((layer) => coldRow(figure, layer, summarize(samples[layer]), processBase, p50TargetMs));
  const warmPair = (figure: string, samples: Record<Layer, number[]>, base: number[], p95TargetUs: number | undefined): Row[] =>
    LAYERS.map((layer) => warmRow(figure, layer, summarize(samples[layer]), summarize(base), p95TargetUs));
  const rows: Row[] = [
    ...coldPair('cold load, uncached: getPlans', { process: cold.process.uncached.total, isolate: cold.isolate.uncached.total }, 8),
    ...coldPair('cold load, warm code cache: getPlans', { process: cold.process.cached.total, isolate: cold.isolate.cached.total }, 3),
    spawnRow('spawn host → first result, uncached', summarize(cold.process.spawnUncached), processBase),
    spawnRow('spawn host → first result, warm cache', summarize(cold.process.spawnCached), processBase),
    ...warmPair('warm op call: getPlans', warmPlans!.prov, warmPlans!.inHost, 100),
    ...warmPair('warm op call: validateConfig', warmValidate!.prov, warmValidate!.inHost, 100),
    ...warmPair('warm op call: no-op (probe)', warmNoop!.prov, warmNoop!.inHost, undefined),
    ...warmPair(`guest→host round trip (ctx.log.debug ×${roundTrip.callsPerOperation})`, roundTrip.prov, roundTrip.inHost, 100),
    ...LAYERS.map((layer) => checkedRow(`checked call, allowed (ctx.fs.exists ×${CHECKED_CALLS_PER_OPERATION})`, layer, summarize(checked.allowed[layer]), summarize(checked.bare[layer]), 100)),
    ...LAYERS.map((layer) => checkedRow(`checked call, denied (ctx.fs.exists ×${CHECKED_CALLS_PER_OPERATION})`, layer, summarize(checked.denied[layer]), summarize(checked.bare[layer]), 100)),
  ];
  console.log(
    renderTable(
      [
        { title: 'figure', align: 'left' },
        { title: 'layer', align: 'left' },
        { title: 'n', align: 'right' },
        { title: 'p50', align: 'right' },
        { title: 'p95', align: 'right' },
        { title: 'baseline', align: 'left' },
        { title: 'base p50', align: 'right' },
        { title: 'ratio', align: 'right' },
        { title: 'target', align: 'left' },
        { title: 'met', align: 'left' },
      ],
      rows.map((row) => {
        const floor = row.layer === 'isolate';
        const wrap = (text: string) => (floor ? `(${text})` : text);
        return [
          row.figure,
          floor ? `${LAYER_NAMES.isolate} (floor)` : LAYER_NAMES.process,
          String(row.prov.n),
          formatMs(row.prov.p50),
          formatMs(row.prov.p95),
          row.baselineName,
          formatMs(row.baseline.p50),
          row.ratio,
          row.targets.length === 0 ? '—' : wrap(row.targets.map((target) => target.text).join(', ')),
          row.targets.length === 0 ? '—' : wrap(row.targets.map((target) => (target.met ? 'yes' : 'NO')).join(', ')),
        ];
      }),
    ),
  );
  const unmet = rows
    .filter((row) => row.layer === 'process')
    .flatMap((row) => row.targets.filter((target) => !target.met).map((target) => `${row.figure} — ${target.text}`));
  console.log('');
  console.log(
    unmet.length === 0
      ? 'All targets met (Sandbox rows).'
      : `Targets not met on the Sandbox rows (${unmet.length}; reported, not enforced):\n${unmet.map((line) => `  - ${line}`).join('\n')}`,
  );
  const rate = (layer: Layer) => summarize(checked.throughput[layer]);
  console.log('');
  console.log(
    `checked calls per second (ctx.fs.exists allowed, ${THROUGHPUT_CALLS} per operation, ${THROUGHPUT_CONCURRENCY} in flight; target ≥ 50000/s): ` +
      LAYERS.map((layer) => `${LAYER_NAMES[layer]} p50 ${Math.round(rate(layer).p50)}/s (worst ${Math.round(rate(layer).min)}/s)${layer === 'process' ? ` — ${rate(layer).p50 >= 50_000 ? 'met' : 'NOT met'}` : ''}`).join('; '),
  );
  console.log('');
  console.log(devLoopLines(devLoop).join('\n'));
  console.log('');
  if ('skipped' in serverCalls) console.log(`calls on a real server: skipped (${serverCalls.skipped})`);
  else {
    const base = summarize(serverCalls.sshPerCall);
    const line = (figure: string, samples: number[]) => {
      const s = summarize(samples);
      const faster = base.p50 / s.p50;
      return `  ${figure.padEnd(44)} p50 ${formatMs(s.p50).padStart(9)}  p95 ${formatMs(s.p95).padStart(9)}  vs ssh/call p50 ${formatMs(base.p50)}: ${formatRatio(faster)} faster  ` +
        `targets p95 ≤ 20 ms: ${s.p95 <= 20 ? 'yes' : 'NO'}, ≥ 10× faster: ${faster >= 10 ? 'yes' : 'NO'}`;
    };
    console.log(`calls on a real server (systemd-nspawn target over SSH, Sandbox layer; ×${SERVER_CALLS_PER_OPERATION} per operation):`);
    console.log(line('ctx.servers.exec([\'/bin/true\'])', serverCalls.exec));
    console.log(line('ctx.systemctl(\'is-active\', \'ssh.service\')', serverCalls.isActive));
    console.log(`  baseline: one ssh process per call (full handshake): p50 ${formatMs(base.p50)}, p95 ${formatMs(base.p95)} (n=${base.n})`);
  }
  console.log('');
  console.log('failed' in clusterDeploy ? `cluster deploy: FAILED (${clusterDeploy.failed})` : clusterDeployLines(clusterDeploy).join('\n'));
  console.log(`
layers:
  Sandbox         what prov runs: the isolate in a supervised sandbox host process (SandboxHost), over Node IPC
                  (serialization 'advanced'); log entries travel to the sink in this process. Targets apply here.
  IsolateSandbox  the same isolate in this process (loadExtension isolation 'in-process'): the layer's floor.
                  Targets in parentheses: the floor against the same target, for reference only.
baselines, sampled in the same run, interleaved with prov's samples:
  process/op  a new \`node\` per operation (${displayPath(process.execPath)}) evaluating the same bundle with a fake ctx;
              timed from spawn to the result line on stdout (n=${processBase.n}).
  in-host     the same bundle evaluated with new Function in this process, operations called directly with a
              fake ctx (zod validation included); per-call mean of batches of calls.
ratio: cold and spawn rows: baseline p50 / p50 ("faster" = prov is faster); other rows: p50 / baseline p50.
cold load = new isolate → first result: load (new isolate, prelude, bundle) + the first call.
  Sandbox:        Sandbox.load({host}) into a host process spawned beforehand and answering (spawn not timed);
                  uncached: a new empty codeCacheDir per load; warm: one shared, primed codeCacheDir (cache files).
  IsolateSandbox: IsolateSandbox.load; uncached: a new MemoryCodeCache per load; warm: one shared, primed one.
spawn host → first result: Sandbox.load without a host (SandboxHost.spawn, then load) + the first call — fully cold;
  no target (the cold-load targets are for a new isolate); beside process/op, the other way to get a fresh process.
round trip: per-call = one operation's time / ${roundTrip.callsPerOperation}; the operation's own fixed cost is included; debug entries, no-op sink.
checked call: ctx.fs.exists on a granted path (allowed) or outside it (denied, caught by the guest), awaited one at a time;
  per call = operation time / ${CHECKED_CALLS_PER_OPERATION}; every call checked against the grant and written to a counting audit sink
  (Sandbox: over IPC, before the reply). Baseline: the bare bridge round trip (ctx.log.debug ×${CHECKED_CALLS_PER_OPERATION}, not audited)
  on the same layer, interleaved; ratio = checked / bare. Audit records received: Sandbox ${checked.auditRecords.process}, IsolateSandbox ${checked.auditRecords.isolate}.`);

  // ---------------------------------------------------------------- details

  const p50 = (samples: number[]) => summarize(samples).p50;
  const pp = (samples: number[]) => {
    const s = summarize(samples);
    return `p50 ${formatMs(s.p50)}, p95 ${formatMs(s.p95)}`;
  };
  const hop = (layers: Record<Layer, number[]>) => formatMs(p50(layers.process) - p50(layers.isolate));
  const isoCold = cold.isolate;
  const procCold = cold.process;
  const reap = await reapHosts();
  const leftRunning = sandboxHostsRunning();
  console.log(`
details:
  new ivm.Isolate + createContext (floor of any cold load)  ${pp(cold.bareIsolate)}
  host process: spawn → answers its first message ${pp(procCold.hostReady)} (n=${procCold.hostReady.length}); esbuild bundle p50 ${formatMs(bundleTime.p50)} (loadExtension overlaps the two)
  cold, warm cache, load | first call:  Sandbox ${formatMs(p50(procCold.cached.loadOnly))} | ${formatMs(p50(procCold.cached.total) - p50(procCold.cached.loadOnly))};  IsolateSandbox ${formatMs(p50(isoCold.cached.loadOnly))} | ${formatMs(p50(isoCold.cached.total) - p50(isoCold.cached.loadOnly))}
  cold, uncached, load | first call:    Sandbox ${formatMs(p50(procCold.uncached.loadOnly))} | ${formatMs(p50(procCold.uncached.total) - p50(procCold.uncached.loadOnly))};  IsolateSandbox ${formatMs(p50(isoCold.uncached.loadOnly))} | ${formatMs(p50(isoCold.uncached.total) - p50(isoCold.uncached.loadOnly))}
  cold, Sandbox − IsolateSandbox (p50): uncached ${hop({ process: procCold.uncached.total, isolate: isoCold.uncached.total })}, warm cache ${hop({ process: procCold.cached.total, isolate: isoCold.cached.total })}
  cold, warm cache, into one reused host (its JS JIT-warm; not a path prov takes): ${pp(procCold.reusedHostCached)} (n=${procCold.reusedHostCached.length}) — vs a fresh host p50 ${formatMs(p50(procCold.cached.total))}
  code cache, IsolateSandbox: ${isoCold.cacheBytes.map(kb).join(' + ')} (prelude + bundle); rejected by V8 on ${isoCold.cacheRejections} of ${isoCold.warmLoads} warm loads
  code cache, Sandbox: ${procCold.cacheFiles.length} files, ${procCold.cacheFiles.map(kb).join(' + ')}; rewritten (rejected) after priming: ${procCold.cacheFilesRewritten} of ${procCold.cacheFiles.length}
  warm call, IPC hop = Sandbox − IsolateSandbox (p50): getPlans ${hop(warmPlans!.prov)}, validateConfig ${hop(warmValidate!.prov)}, no-op ${hop(warmNoop!.prov)}
  warm call, raw Node IPC request/reply to an echo child: advanced ${pp(ipcAdvanced.samples)}; json ${pp(ipcJson.samples)}
  round trip, Sandbox − IsolateSandbox per call (p50): ${hop(roundTrip.prov)}; entries reaching the sink per operation: Sandbox ${roundTrip.entriesPerOperation.process}, IsolateSandbox ${roundTrip.entriesPerOperation.isolate}
  process/op p95 ${formatMs(processBase.p95)}; in-host p95: getPlans ${formatMs(summarize(warmPlans!.inHost).p95)}, validateConfig ${formatMs(summarize(warmValidate!.inHost).p95)}, round trip ${formatMs(summarize(roundTrip.inHost).p95)}
  sandbox host processes: ${reap.started} started; ${reap.stillAlive} still alive at the end (then ended); running now per ps: ${leftRunning}
  load average at end: ${os.loadavg().map((load) => load.toFixed(2)).join(' ')}; whole bench ${formatMs(performance.now() - started)}`);
} finally {
  await reapHosts();
  for (const cleanup of cleanups) await cleanup();
}

// ---------------------------------------------------------------- helpers

interface Target {
  text: string;
  met: boolean;
}

interface Row {
  figure: string;
  layer: Layer;
  prov: Summary;
  baselineName: string;
  baseline: Summary;
  ratio: string;
  targets: Target[];
}

function speedupText(base: Summary, prov: Summary): string {
  const speedup = base.p50 / prov.p50;
  return speedup >= 1 ? `${formatRatio(speedup)} faster` : `${formatRatio(1 / speedup)} slower`;
}

function coldRow(figure: string, layer: Layer, prov: Summary, base: Summary, p50TargetMs: number): Row {
  return {
    figure,
    layer,
    prov,
    baselineName: 'process/op',
    baseline: base,
    ratio: speedupText(base, prov),
    targets: [
      { text: `p50 ≤ ${p50TargetMs} ms`, met: prov.p50 <= p50TargetMs },
      { text: 'process/op ≥ 10× slower', met: base.p50 / prov.p50 >= 10 },
    ],
  };
}

/** Fully cold (a process is spawned): no target; shown beside the process-per-op baseline it replaces. */
function spawnRow(figure: string, prov: Summary, base: Summary): Row {
  return { figure, layer: 'process', prov, baselineName: 'process/op', baseline: base, ratio: speedupText(base, prov), targets: [] };
}

function warmRow(figure: string, layer: Layer, prov: Summary, base: Summary, p95TargetUs: number | undefined): Row {
  const overhead = prov.p50 / base.p50;
  return {
    figure,
    layer,
    prov,
    baselineName: 'in-host',
    baseline: base,
    ratio: overhead >= 1 ? `${formatRatio(overhead)} slower` : `${formatRatio(1 / overhead)} faster`,
    targets: p95TargetUs === undefined ? [] : [{ text: `p95 ≤ ${p95TargetUs} µs`, met: prov.p95 * 1000 <= p95TargetUs }],
  };
}

/** A checked capability call beside the bare bridge round trip on the same layer. */
function checkedRow(figure: string, layer: Layer, prov: Summary, bare: Summary, p95TargetUs: number): Row {
  const overhead = prov.p50 / bare.p50;
  return {
    figure,
    layer,
    prov,
    baselineName: 'bare round trip',
    baseline: bare,
    ratio: overhead >= 1 ? `${formatRatio(overhead)} slower` : `${formatRatio(1 / overhead)} faster`,
    targets: [{ text: `p95 ≤ ${p95TargetUs} µs`, met: prov.p95 * 1000 <= p95TargetUs }],
  };
}

async function timeOne(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

/** Every way of running an operation should produce the same result, or the comparison is of unlike work. */
async function checkBaselinesAgree(subject: Subject, processPerOp: ProcessPerOpBaseline): Promise<void> {
  const sandboxes = { Sandbox: await loadProcessSandbox(subject), IsolateSandbox: await loadIsolateSandbox(subject) };
  const inHost = new InHostBaseline(subject);
  try {
    for (const call of [GET_PLANS, VALIDATE_CONFIG] satisfies OperationCall[]) {
      const results: [string, string][] = [];
      for (const [name, sandbox] of Object.entries(sandboxes)) results.push([name, JSON.stringify((await sandbox.call(call.operation, call.input)).result)]);
      results.push(['in-host', JSON.stringify(await inHost.call(call))]);
      results.push(['process/op', JSON.stringify((await processPerOp.run(call)).result)]);
      if (results.some(([, json]) => json !== results[0]![1])) {
        console.log(`WARNING: ${call.operation} gives different results across Sandbox, IsolateSandbox, in-host and process/op; the ratios may compare unlike work:`);
        for (const [who, json] of results) console.log(`  ${who}: ${json?.slice(0, 200)}`);
      }
    }
  } finally {
    for (const sandbox of Object.values(sandboxes)) await disposeSandbox(sandbox);
  }
}

/** Sandbox host processes still running as children of this process, per `ps` (Linux/macOS; '?' if ps is unusable). */
function sandboxHostsRunning(): string {
  try {
    const out = execFileSync('ps', ['-A', '-o', 'ppid=,pid=,args='], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const ours = out
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([ppid, , ...rest]) => ppid === String(process.pid) && rest.join(' ').includes('sandbox-host-main'));
    return ours.length === 0 ? '0' : `${ours.length} (pids ${ours.map(([, pid]) => pid).join(', ')})`;
  } catch {
    return '?';
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
