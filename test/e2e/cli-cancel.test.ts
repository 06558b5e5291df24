import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROV_BIN } from '../helpers/run-cli.js';
import { createTempExtension, providerSource } from '../helpers/temp-extension.js';

describe('Ctrl-C during prov run', () => {
  it('cancels the operation: ctx.signal aborts, exit 1 with Cancelled, nothing left running', async () => {
    const ext = await createTempExtension({
      source: providerSource({
        getPlans: `async getPlans(_input: unknown, ctx: any) {
    ctx.signal.onAbort(() => { void ctx.log.info('noticed the abort'); });
    await ctx.log.info('working');
    await ctx.sleep(20_000);
    return 'finished';
  }`,
      }),
    });
    try {
      // A process group of its own, so the signal goes to prov and its sandbox host alike, as a terminal's Ctrl-C does.
      const child = spawn(process.execPath, ['--no-node-snapshot', PROV_BIN, 'run', ext.dir, 'get-plans', '--json'], {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const started = new Promise<void>((resolve) =>
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes('working')) resolve();
        }),
      );
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await started;
      process.kill(-child.pid!, 'SIGINT');
      expect(await exited).toBe(1);
      expect(JSON.parse(stdout)).toEqual({ ok: false, error: { code: 'Cancelled', message: 'getPlans was cancelled' } });
      expect(stderr).toContain('[info] test-ext: noticed the abort');
      // the sandbox host process went with it: no process of the group is left
      let groupAlive = true;
      for (let attempt = 0; attempt < 40 && groupAlive; attempt++) {
        try {
          process.kill(-child.pid!, 0);
          await new Promise((resolve) => setTimeout(resolve, 50));
        } catch {
          groupAlive = false;
        }
      }
      expect(groupAlive).toBe(false);
    } finally {
      await ext.cleanup();
    }
  });
});
