import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadExtension, ProvError, runOperation, Sandbox, type LoadedExtension } from '../../runtime/index.js';
import { CollectingLogSink } from '../helpers/collecting-log-sink.js';
import { REPO_ROOT } from '../helpers/run-cli.js';
import { createTempExtension, providerSource, type TempExtension } from '../helpers/temp-extension.js';

const run = promisify(execFile);

function hostOf(extension: LoadedExtension) {
  const host = (extension.sandbox as Sandbox).host;
  if (host === undefined) throw new Error('no host process');
  return host;
}

describe('the sandbox host process', () => {
  let ext: TempExtension;
  let loaded: LoadedExtension;

  beforeAll(async () => {
    ext = await createTempExtension({
      manifestExtra: '[limits]\ntimeout_ms = 600\n',
      source: providerSource({
        getZones: `async getZones() { return 'zones'; }`,
        getPlans: `async getPlans(_input: unknown, ctx: any) { await ctx.sleep(400); return 'slept'; }`,
      }),
    });
    loaded = await loadExtension(ext.dir, { log: new CollectingLogSink() });
  });
  afterAll(async () => {
    loaded.sandbox.dispose();
    await ext.cleanup();
  });

  it('runs the isolate in a child process, not in this one', async () => {
    expect(loaded.sandbox).toBeInstanceOf(Sandbox);
    expect(hostOf(loaded).alive).toBe(true);
    expect((await runOperation(loaded, 'get-zones', undefined)).result).toBe('zones');
  });

  it('a host killed from outside fails the call in flight with SandboxFailure; the next call gets a new host', async () => {
    const host = hostOf(loaded);
    const pending = runOperation(loaded, 'get-plans', undefined);
    setTimeout(() => host.kill(), 50);
    const error = await pending.then(() => undefined, (thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ProvError);
    expect(error).toMatchObject({ code: 'SandboxFailure', message: 'The sandbox process ended unexpectedly (SIGKILL)' });
    expect(host.alive).toBe(false);
    expect((await runOperation(loaded, 'get-zones', undefined)).result).toBe('zones');
    expect(hostOf(loaded)).not.toBe(host);
  });

  it('a host that stops answering is killed past its deadline and reported as LimitExceeded', async () => {
    const host = hostOf(loaded);
    process.kill(host.pid!, 'SIGSTOP');
    const error = await runOperation(loaded, 'get-zones', undefined).then(() => undefined, (thrown: unknown) => thrown);
    expect(error).toMatchObject({
      code: 'LimitExceeded',
      message: 'test-ext did not answer within its time limit of 600 ms; its sandbox process was ended',
    });
    expect((await runOperation(loaded, 'get-zones', undefined)).result).toBe('zones');
  });

  it('does not keep a process alive that forgot to dispose its extension', async () => {
    const runtime = pathToFileURL(path.join(REPO_ROOT, 'dist', 'runtime', 'index.js')).href;
    const script = `
      const { loadExtension, runOperation } = await import(${JSON.stringify(runtime)});
      const extension = await loadExtension(${JSON.stringify(ext.dir)}, { log: { write() {} } });
      const { result } = await runOperation(extension, 'get-zones', undefined);
      console.log(result);
    `;
    const { stdout } = await run(process.execPath, ['--no-node-snapshot', '--input-type=module', '-e', script], { timeout: 15_000 });
    expect(stdout.trim()).toBe('zones');
  });
});

