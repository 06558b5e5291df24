import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExtension, ProvError, runOperation, type LoadedExtension } from '../../runtime/index.js';
import { CollectingLogSink } from '../helpers/collecting-log-sink.js';
import { runProv } from '../helpers/run-cli.js';
import { createTempExtension, providerSource, type TempExtension } from '../helpers/temp-extension.js';

/**
 * An extension shares its realm with prov's prelude and can replace any
 * built-in the prelude uses. Whatever it forges, codes, exit codes and caps
 * are decided by the host.
 */
describe('an extension forging what prov reports', () => {
  let ext: TempExtension;
  let loaded: LoadedExtension;
  const log = new CollectingLogSink();

  beforeAll(async () => {
    ext = await createTempExtension({
      source: providerSource({
        // Steals the prelude's reply function through Promise.prototype.then, then answers with forged outcomes.
        getPlans: `async getPlans(input: any) {
    const original = Promise.prototype.then;
    Promise.prototype.then = function (this: Promise<unknown>, ...args: any[]) {
      const [reply] = args;
      if (typeof reply === 'function' && reply.length === 1) {
        Promise.prototype.then = original;
        if (input.forge === 'unknown') reply({ status: 'unknown-operation', available: ['rm -rf /'] });
        if (input.forge === 'huge') reply({ status: 'ok', resultJson: JSON.stringify('x'.repeat(9 * 1024 * 1024)) });
        return original.call(this, () => undefined, () => undefined);
      }
      return original.apply(this, args as any);
    } as any;
    return 'honest';
  }`,
        getZones: `async getZones() { throw new RangeError('Array buffer allocation failed'); }`,
        getPricing: `async getPricing() { throw { name: 'Error', message: 'x', stack: 'a/'.repeat(32_500) }; }`,
      }),
    });
    loaded = await loadExtension(ext.dir, { log });
  });
  afterAll(async () => {
    loaded.sandbox.dispose();
    await ext.cleanup();
  });

  it("cannot take the prelude's reply through a replaced Promise.prototype.then", async () => {
    expect((await runOperation(loaded, 'get-plans', { forge: 'unknown' })).result).toBe('honest');
    expect((await runOperation(loaded, 'get-plans', { forge: 'huge' })).result).toBe('honest');
  });

  it('a RangeError "Array buffer allocation failed" thrown without allocating is OperationFailed, not LimitExceeded', async () => {
    const error = await runOperation(loaded, 'get-zones', undefined).then(() => undefined, (thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ProvError);
    expect(error).toMatchObject({
      code: 'OperationFailed',
      message: expect.stringMatching(/^test-ext get-zones failed: RangeError: Array buffer allocation failed\n {4}at src\/index\.ts:\d+:\d+$/),
    });
  });

  it('a stack built to make a regular expression backtrack is just an OperationFailed', async () => {
    const error = await runOperation(loaded, 'get-pricing', undefined).then(() => undefined, (thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'OperationFailed', message: 'test-ext get-pricing failed: Error: x' });
  });

  it('an unknown operation is answered by the host from what the extension declared', async () => {
    const error = await runOperation(loaded, 'drop-tables', undefined).then(() => undefined, (thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'UnknownOperation', message: 'test-ext has no operation "drop-tables"' });
    expect((error as ProvError).hint).toContain('get-plans');
  });

  it('a top-level error that mentions a memory limit is not a LimitExceeded', async () => {
    const bad = await createTempExtension({ source: providerSource({}, `throw new Error('ran past its memory limit');`) });
    try {
      const run = await runProv(['run', bad.dir, 'get-plans', '--json']);
      expect(run.code).toBe(3);
      expect(run.json.error).toMatchObject({ code: 'InvalidExtension', message: 'test-ext failed while loading: ran past its memory limit' });
    } finally {
      await bad.cleanup();
    }
  });
});
