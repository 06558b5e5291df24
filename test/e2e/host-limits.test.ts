import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Capability } from '../../runtime/index.js';
import { loadExtension, runOperation, Sandbox, type LoadedExtension } from '../../runtime/index.js';
import { CollectingLogSink } from '../helpers/collecting-log-sink.js';
import { createTempExtension, providerSource, type TempExtension } from '../helpers/temp-extension.js';

describe('what the host allows an extension, whatever it asks', () => {
  let ext: TempExtension;
  let loaded: LoadedExtension;
  const log = new CollectingLogSink();

  beforeAll(async () => {
    ext = await createTempExtension({
      manifestExtra: '[limits]\ntimeout_ms = 1500\n',
      source: providerSource({
        getPlans: `async getPlans(_input: unknown, ctx: any) {
    await ctx.log.info('big fields', { blob: 'x'.repeat(100_000) });
    return 'logged';
  }`,
        getZones: `async getZones(_input: unknown, ctx: any) {
    for (let i = 0; i < 40; i++) await ctx.log.info('y'.repeat(60_000));
    return 'flooded';
  }`,
        getPricing: `async getPricing(_input: unknown, ctx: any) {
    const calls = Array.from({ length: 300 }, () => ctx.sleep(20).then(() => 'ok', (error: any) => error.code));
    const outcomes = await Promise.all(calls);
    return { ok: outcomes.filter((o) => o === 'ok').length, refused: outcomes.filter((o) => o === 'LimitExceeded').length };
  }`,
        getSshAccess: `async getSshAccess(_input: unknown, ctx: any) { await ctx.sleep(400); return 'slept'; }`,
        listServers: `async listServers(_input: unknown, ctx: any) { return Object.keys(ctx).sort(); }`,
        startServer: `async startServer(_input: unknown, ctx: any) {
    (globalThis as any).left = ctx.sleep(5_000).then(() => 'resolved', (error: any) => error.code + ': ' + error.message);
    return 'started';
  }`,
        stopServer: `async stopServer() { return await (globalThis as any).left; }`,
        rebootServer: `async rebootServer(_input: unknown, ctx: any) {
    for (let i = 0; i < 5; i++) await ctx.log.info('\\u202e'.repeat(60_000));
    return 'bidi';
  }`,
      }),
    });
    loaded = await loadExtension(ext.dir, { log });
  });
  afterAll(async () => {
    loaded.sandbox.dispose();
    await ext.cleanup();
  });

  it('replaces structured log fields larger than 16 KiB by a note', async () => {
    log.entries.length = 0;
    expect((await runOperation(loaded, 'get-plans', undefined)).result).toBe('logged');
    expect(log.entries).toEqual([
      { level: 'info', message: 'big fields', fields: { cut: 'fields of 100011 characters (at most 16384)' }, extension: 'test-ext', operation: 'getPlans' },
    ]);
  });

  it('cuts log output at 1 MiB per operation, with one warning', async () => {
    log.entries.length = 0;
    expect((await runOperation(loaded, 'get-zones', undefined)).result).toBe('flooded');
    const kept = log.entries.filter((entry) => entry.level === 'info');
    expect(kept.length).toBe(17); // 17 × 60 000 ≤ 1 MiB < 18 × 60 000
    expect(log.entries.filter((entry) => entry.level === 'warn').map((entry) => entry.message)).toEqual([
      'log output cut: more than 1048576 characters in one operation',
    ]);
  });

  it('host calls left pending when an operation ends are rejected in the guest, not kept forever', async () => {
    expect((await runOperation(loaded, 'start-server', undefined)).result).toBe('started');
    expect((await runOperation(loaded, 'stop-server', undefined)).result).toBe('Cancelled: The operation ended before this host call finished');
  });

  it('counts log output as it prints: escaped control characters count six times', async () => {
    log.entries.length = 0;
    expect((await runOperation(loaded, 'reboot-server', undefined)).result).toBe('bidi');
    // 60 000 bidi overrides print as 360 000 characters: two lines fit in 1 MiB, the third does not
    expect(log.entries.filter((entry) => entry.level === 'info')).toHaveLength(2);
    expect(log.entries.filter((entry) => entry.level === 'warn')).toHaveLength(1);
  });

  it('ends the operation with LimitExceeded past 256 host calls in flight, and the next call runs', async () => {
    await expect(runOperation(loaded, 'get-pricing', undefined)).rejects.toMatchObject({
      code: 'LimitExceeded',
      details: { limit: 'host_calls_in_flight', max: 256 },
    });
    expect((await runOperation(loaded, 'list-servers', undefined)).result).toContain('log');
  });

  it('runs queued calls one at a time, each within its own deadline', async () => {
    // four calls of 400 ms under a 1500 ms limit: 1600 ms in all, but no call overstays its own deadline
    const results = await Promise.all([1, 2, 3, 4].map(() => runOperation(loaded, 'get-ssh-access', undefined)));
    expect(results.map((outcome) => outcome.result)).toEqual(['slept', 'slept', 'slept', 'slept']);
  });

  it('a queued call that is cancelled does not wait for the calls before it', async () => {
    const controller = new AbortController();
    const first = runOperation(loaded, 'get-ssh-access', undefined);
    const queued = runOperation(loaded, 'get-ssh-access', undefined, { signal: controller.signal });
    controller.abort();
    let firstDone = false;
    void first.then(() => (firstDone = true));
    await expect(queued).rejects.toMatchObject({ code: 'Cancelled' });
    expect(firstDone).toBe(false); // rejected while the call before it was still running
    expect((await first).result).toBe('slept');
  });

  it('concurrent calls after the host died share one new host', async () => {
    (loaded.sandbox as Sandbox).host!.kill();
    const results = await Promise.all([1, 2, 3].map(() => runOperation(loaded, 'list-servers', undefined)));
    expect(results.map((outcome) => outcome.result)).toEqual([
      ['check', 'deadline', 'extension', 'fs', 'http', 'log', 'secrets', 'servers', 'signal', 'sleep', 'systemctl', 'target'],
      ['check', 'deadline', 'extension', 'fs', 'http', 'log', 'secrets', 'servers', 'signal', 'sleep', 'systemctl', 'target'],
      ['check', 'deadline', 'extension', 'fs', 'http', 'log', 'secrets', 'servers', 'signal', 'sleep', 'systemctl', 'target'],
    ]);
  });

  it('a cancel that comes while a new host loads is honoured', async () => {
    (loaded.sandbox as Sandbox).host!.kill();
    const controller = new AbortController();
    const pending = runOperation(loaded, 'get-ssh-access', undefined, { signal: controller.signal });
    setTimeout(() => controller.abort(), 1);
    await expect(pending).rejects.toMatchObject({ code: 'Cancelled' });
    expect((await runOperation(loaded, 'list-servers', undefined)).result).toContain('log');
  });

  it('gives the sandbox host process none of prov\'s environment', async () => {
    const pid = (loaded.sandbox as Sandbox).host!.pid!;
    const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0').filter(Boolean);
    // Node adds its IPC channel's own two variables; nothing of prov's environment is passed on.
    expect(environ.map((entry) => entry.split('=')[0]).filter((name) => !name?.startsWith('NODE_CHANNEL_'))).toEqual(['PATH']);
  });
});

describe('a gated capability without a grant check', () => {
  it('is not offered to the guest at all when it declares no [permissions] key (deny by default)', async () => {
    const ran: string[] = [];
    const danger: Capability = {
      name: 'danger',
      alwaysGranted: false,
      calls: { 'danger.run': async () => void ran.push('ran') },
    };
    const ext = await createTempExtension({
      source: providerSource({
        getPlans: `async getPlans(_input: unknown, ctx: any) { return { offered: 'danger' in ctx }; }`,
      }),
    });
    const loaded = await loadExtension(ext.dir, {
      log: new CollectingLogSink(),
      isolation: 'in-process',
      capabilities: { danger },
    });
    try {
      expect((await runOperation(loaded, 'get-plans', undefined)).result).toEqual({ offered: false });
      expect(ran).toEqual([]);
    } finally {
      loaded.sandbox.dispose();
      await ext.cleanup();
    }
  });
});
