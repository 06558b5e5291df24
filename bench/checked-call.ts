import path from 'node:path';
import { runOperation, type AuditRecord, type AuditSink, type GrantView, type LoadedExtension, type LogSink } from '../dist/runtime/index.js';
import { interleave, series, type Series } from './harness.js';
import { EXISTS_OPERATION, ROUND_TRIP_OPERATION } from './probe-extension.js';
import { disposeSandbox, LAYERS, loadExtensionFromSubject, type Layer, type Subject } from './subject.js';

/** Checked calls per operation for the latency figures; a sample is the operation's time divided by this. */
export const CHECKED_CALLS_PER_OPERATION = 100;
/** Calls per operation, and how many in flight at once, for the throughput figure. */
export const THROUGHPUT_CALLS = 2_000;
export const THROUGHPUT_CONCURRENCY = 64;

export interface CheckedCallFigure {
  /** Per call, ms: `ctx.fs.exists` on a granted path (allowed, checked, audited). */
  allowed: Record<Layer, number[]>;
  /** Per call, ms: `ctx.fs.exists` outside the grant (denied, audited; the guest catches it). */
  denied: Record<Layer, number[]>;
  /** Per call, ms: the bare bridge round trip (`ctx.log.debug`, always granted, not audited), same run. */
  bare: Record<Layer, number[]>;
  /** Allowed checked calls per second with THROUGHPUT_CONCURRENCY in flight. */
  throughput: Record<Layer, number[]>;
  /** Audit records received per layer, checked against the calls made. */
  auditRecords: Record<Layer, number>;
}

class CountingAudit implements AuditSink {
  records = 0;
  decisions = new Map<string, number>();
  write(record: AuditRecord): void {
    this.records++;
    this.decisions.set(record.decision, (this.decisions.get(record.decision) ?? 0) + 1);
  }
}

const NO_OP_LOG: LogSink = { write() {} };

/**
 * A checked capability call from the guest, allowed and denied, next to the
 * bare bridge round trip in the same interleaved rounds: the difference is
 * what the grant check, the audit record and (for Sandbox) the audit's trip
 * over IPC cost. `fs.exists` does no I/O beyond a realpath and an lstat.
 */
export async function measureCheckedCalls(probe: Subject, rounds: number): Promise<CheckedCallFigure> {
  const allowedPath = path.join(probe.dir, 'metadata.toml');
  const deniedPath = '/etc/hostname';
  const grant: GrantView = { requested: { fs_read: [probe.dir] }, granted: { fs_read: [probe.dir] }, source: probe.dir, home: probe.dir };
  const loaded = new Map<Layer, { extension: LoadedExtension; audit: CountingAudit }>();
  const exists = (extension: LoadedExtension, target: string, n: number, concurrency: number) =>
    runOperation(extension, EXISTS_OPERATION, { n, path: target, concurrency });
  try {
    for (const layer of LAYERS) {
      const audit = new CountingAudit();
      const extension = await loadExtensionFromSubject(probe, layer, NO_OP_LOG, { grant, audit });
      const allowed = await exists(extension, allowedPath, 10, 1);
      const denied = await exists(extension, deniedPath, 10, 1);
      if (JSON.stringify([allowed.result, denied.result]) !== '[{"allowed":10,"denied":0},{"allowed":0,"denied":10}]') {
        throw new Error(`${EXISTS_OPERATION} answered ${JSON.stringify([allowed.result, denied.result])} (${layer}): the grant is not what the bench meant`);
      }
      loaded.set(layer, { extension, audit });
    }
    const perCall = (label: string, layer: Layer, run: (extension: LoadedExtension) => Promise<unknown>): Series => {
      const { extension } = loaded.get(layer)!;
      return series(`${label} (${layer})`, async () => {
        const start = performance.now();
        await run(extension);
        return (performance.now() - start) / CHECKED_CALLS_PER_OPERATION;
      }, { warmup: 10, perRound: 5 });
    };
    const byLayer = <T>(make: (layer: Layer) => T) => ({ process: make('process'), isolate: make('isolate') }) satisfies Record<Layer, T>;
    const allowed = byLayer((layer) => perCall('allowed', layer, (extension) => exists(extension, allowedPath, CHECKED_CALLS_PER_OPERATION, 1)));
    const denied = byLayer((layer) => perCall('denied', layer, (extension) => exists(extension, deniedPath, CHECKED_CALLS_PER_OPERATION, 1)));
    const bare = byLayer((layer) => perCall('bare', layer, (extension) => runOperation(extension, ROUND_TRIP_OPERATION, { n: CHECKED_CALLS_PER_OPERATION })));
    const throughput = byLayer((layer) => {
      const { extension } = loaded.get(layer)!;
      return series(`throughput (${layer})`, async () => {
        const start = performance.now();
        await exists(extension, allowedPath, THROUGHPUT_CALLS, THROUGHPUT_CONCURRENCY);
        return THROUGHPUT_CALLS / ((performance.now() - start) / 1000);
      }, { warmup: 2, perRound: 2 });
    });
    const all = LAYERS.flatMap((layer) => [allowed[layer], denied[layer], bare[layer], throughput[layer]]);
    await interleave(all, rounds);
    // Every checked call must have reached the audit sink (for Sandbox: over IPC, before the operation's reply).
    const auditRecords = {} as Record<Layer, number>;
    for (const layer of LAYERS) {
      const { audit } = loaded.get(layer)!;
      const checked = 20 + (allowed[layer].warmup + allowed[layer].samples.length + denied[layer].warmup + denied[layer].samples.length) * CHECKED_CALLS_PER_OPERATION +
        (throughput[layer].warmup + throughput[layer].samples.length) * THROUGHPUT_CALLS;
      if (audit.records !== checked) throw new Error(`${layer}: the audit sink received ${audit.records} records for ${checked} checked calls`);
      auditRecords[layer] = audit.records;
    }
    const samples = (group: Record<Layer, Series>) => ({ process: group.process.samples, isolate: group.isolate.samples });
    return { allowed: samples(allowed), denied: samples(denied), bare: samples(bare), throughput: samples(throughput), auditRecords };
  } finally {
    for (const { extension } of loaded.values()) await disposeSandbox(extension.sandbox);
  }
}
