import { describe, expect, it } from 'vitest';
import type { Capability } from '../../runtime/index.js';
import { HostBridge, MAX_CALLS_IN_FLIGHT } from '../../runtime/sandbox/host-bridge.js';
import { CollectingLogSink } from '../helpers/collecting-log-sink.js';

/**
 * The bridge's own checks, driven as a guest that got around the prelude
 * would drive them: straight through the `__prov_send` entry point.
 */
function bridge(extra: Record<string, Capability> = {}) {
  const ran: string[] = [];
  const echo: Capability = {
    name: 'echo',
    alwaysGranted: true,
    calls: {
      'echo.say': async ([text]) => {
        ran.push(String(text));
        return text ?? null;
      },
      'echo.wait': () => new Promise(() => undefined),
    },
  };
  const host = new HostBridge({
    capabilities: { echo, ...extra },
    identity: { name: 'test-ext', type: 'provider', version: '0.1.0' },
    log: new CollectingLogSink(),
    maxPayloadChars: 1000,
  });
  const settled: { seq: number; ok: boolean; payload: unknown }[] = [];
  host.attach((seq, ok, payload) => settled.push({ seq, ok, payload: payload === '' ? undefined : JSON.parse(payload) }));
  const scope = host.open(1, { operation: 'op', check: false, deadline: Date.now() + 10_000 });
  return { host, scope, settled, ran };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('HostBridge', () => {
  it('runs a well-formed call and settles it', async () => {
    const { host, settled, ran } = bridge();
    host.receive(1, 7, 'echo.say', '["hi"]');
    await flush();
    expect(ran).toEqual(['hi']);
    expect(settled).toEqual([{ seq: 7, ok: true, payload: 'hi' }]);
  });

  it.each([
    ['arguments that are not a string', 42, 'ctx.echo.say: arguments are missing or larger than 1000 characters'],
    ['arguments over the size cap', JSON.stringify(['x'.repeat(2000)]), 'ctx.echo.say: arguments are missing or larger than 1000 characters'],
    ['arguments that are not JSON', '[hi', 'ctx.echo.say: arguments are not JSON data'],
    ['arguments that are not a list', '{"0":"hi"}', 'ctx.echo.say: arguments are not a list'],
  ])('refuses %s as PermissionDenied without running the call', async (_what, args, message) => {
    const { host, settled, ran } = bridge();
    host.receive(1, 1, 'echo.say', args);
    await flush();
    expect(ran).toEqual([]);
    expect(settled).toEqual([{ seq: 1, ok: false, payload: { code: 'PermissionDenied', message } }]);
  });

  it('refuses a call prov does not offer, and a gated capability without a grant check', async () => {
    const { host, settled } = bridge({ secret: { name: 'secret', alwaysGranted: false, calls: { 'secret.get': async () => 'value' } } });
    expect(host.callNames).toEqual(['echo.say', 'echo.wait']);
    host.receive(1, 1, 'secret.get', '[]');
    host.receive(1, 2, 'constructor', '[]');
    await flush();
    expect(settled.map((entry) => entry.payload)).toEqual([
      { code: 'PermissionDenied', message: 'ctx.secret.get is not a host call prov offers' },
      { code: 'PermissionDenied', message: 'ctx.constructor is not a host call prov offers' },
    ]);
  });

  it('drops calls with a forged or ended operation id, and settles nothing after the operation ends', async () => {
    const { host, scope, settled, ran } = bridge();
    host.receive('1', 1, 'echo.say', '["forged id"]');
    host.receive(2, 2, 'echo.say', '["unknown operation"]');
    host.receive(1, 3, 'echo.say', '["in time"]');
    scope.close();
    host.receive(1, 4, 'echo.say', '["too late"]');
    await flush();
    expect(ran).toEqual(['in time']);
    expect(settled).toEqual([]); // the one that ran finished after its operation had ended
  });

  it(`refuses more than ${MAX_CALLS_IN_FLIGHT} calls in flight for one operation`, async () => {
    const { host, settled } = bridge();
    for (let seq = 1; seq <= MAX_CALLS_IN_FLIGHT + 2; seq++) host.receive(1, seq, 'echo.wait', '[]');
    await flush();
    expect(settled.map((entry) => entry.seq)).toEqual([MAX_CALLS_IN_FLIGHT + 1, MAX_CALLS_IN_FLIGHT + 2]);
    expect(settled[0]!.payload).toMatchObject({ code: 'LimitExceeded' });
  });

  it('runs at most 256 calls from one crossing: the prelude never batches more', async () => {
    const { host, ran } = bridge();
    const flat: unknown[] = [];
    for (let seq = 1; seq <= 300; seq++) flat.push(1, seq, 'echo.say', JSON.stringify([String(seq)]));
    host.receive(...flat);
    await flush();
    expect(ran).toHaveLength(256);
    expect(ran.at(-1)).toBe('256');
  });
});
