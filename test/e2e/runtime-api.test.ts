import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExtension, MemoryCodeCache, ProvError, runOperation, type LoadedExtension } from '../../runtime/index.js';
import { CollectingLogSink } from '../helpers/collecting-log-sink.js';
import { createTempExtension, providerSource, type TempExtension } from '../helpers/temp-extension.js';

describe('the runtime API', () => {
  let ext: TempExtension;
  let loaded: LoadedExtension;
  const log = new CollectingLogSink();

  beforeAll(async () => {
    ext = await createTempExtension({
      manifestExtra: '[limits]\ntimeout_ms = 3000\n',
      source: providerSource(
        {
          getZones: `async getZones(_input: unknown, ctx: any) {
    return { check: ctx.check, target: ctx.target, extension: ctx.extension, deadlineInFuture: ctx.deadline > Date.now(), frozen: Object.isFrozen(ctx) && Object.isFrozen(ctx.extension) };
  }`,
          getPlans: `async getPlans(_input: unknown, ctx: any) {
    console.log('plain', 1, { a: [2] });
    console.debug('dbg');
    console.warn('careful');
    console.error(new Error('shown with its stack'));
    await ctx.log.info('structured', { hostname: 'web-1' });
    return null;
  }`,
          getPricing: `async getPricing(_input: unknown, ctx: any) {
    let seen = 'not aborted';
    ctx.signal.onAbort(() => { seen = 'aborted'; });
    try { await ctx.sleep(10_000); } catch (error: any) { await ctx.log.info('sleep ended: ' + error.code + ', signal ' + seen); }
    return { seen };
  }`,
          getSshAccess: `async getSshAccess(input: any, ctx: any) {
    counter += 1;
    await ctx.sleep(input.ms);
    return { counter, started: input.id };
  }`,
          deleteServer: `async deleteServer() { const a: unknown[] = []; for (;;) a.push({ x: a.length, s: 'x'.repeat(64) }); }`,
          startServer: `async startServer() { return 'fresh counter: ' + counter; }`,
        },
        'let counter = 0;',
      ),
    });
    loaded = await loadExtension(ext.dir, { log, codeCache: new MemoryCodeCache() });
  });
  afterAll(async () => {
    loaded.sandbox.dispose();
    await ext.cleanup();
  });

  it('gives ctx its always-granted data, frozen', async () => {
    const outcome = await runOperation(loaded, 'get-zones', undefined, { check: true });
    expect(outcome).toEqual({
      result: {
        check: true,
        target: null,
        extension: { name: 'test-ext', type: 'provider', version: '0.1.0', description: 'test extension' },
        deadlineInFuture: true,
        frozen: true,
      },
      changed: false,
      plan: [],
    });
  });

  it('routes console.* and ctx.log to the host log with levels', async () => {
    log.entries.length = 0;
    await runOperation(loaded, 'getPlans', undefined);
    expect(log.entries.map(({ level, message }) => [level, message.split('\n')[0]])).toEqual([
      ['info', 'plain 1 {"a":[2]}'],
      ['debug', 'dbg'],
      ['warn', 'careful'],
      ['error', 'Error: shown with its stack'],
      ['info', 'structured'],
    ]);
    expect(log.entries[4]).toMatchObject({ fields: { hostname: 'web-1' }, extension: 'test-ext', operation: 'getPlans' });
  });

  it('cancels an operation: ctx.signal aborts, pending host calls reject, the call ends with Cancelled', async () => {
    const controller = new AbortController();
    const pending = runOperation(loaded, 'get-pricing', undefined, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toMatchObject({ code: 'Cancelled' });
    expect(log.messages).toContain('sleep ended: Cancelled, signal aborted');
    // the next call works (a fresh isolate if the old one had to be ended)
    await expect(runOperation(loaded, 'start-server', undefined)).resolves.toMatchObject({ result: expect.stringMatching(/^fresh counter: \d+$/) });
  });

  it('runs operations one at a time in an isolate', async () => {
    const [first, second] = await Promise.all([
      runOperation(loaded, 'get-ssh-access', { ms: 150, id: 'a' }),
      runOperation(loaded, 'get-ssh-access', { ms: 0, id: 'b' }),
    ]);
    expect((second.result as { counter: number }).counter).toBe((first.result as { counter: number }).counter + 1);
  });

  it('ends an isolate at its memory limit and starts a fresh one for the next call', async () => {
    const before = await runOperation(loaded, 'start-server', undefined);
    expect(before.result).not.toBe('fresh counter: 0'); // state survives between calls in one isolate
    const error = await runOperation(loaded, 'delete-server', undefined).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ProvError);
    expect(error).toMatchObject({ code: 'LimitExceeded', details: { limit: 'memory', memory_mb: 128 } });
    const after = await runOperation(loaded, 'start-server', undefined);
    expect(after.result).toBe('fresh counter: 0');
  });
});
