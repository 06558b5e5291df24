import { setTimeout as delay } from 'node:timers/promises';
import { ProvError } from '../../runtime/errors/index.js';
import type { Capability } from '../capability.js';

/**
 * `ctx.sleep(ms)`: the guest has no timers of its own. Never sleeps past the
 * operation's deadline (the watchdog ends the isolate there) and stops when
 * the operation is cancelled.
 */
export const sleepCapability = {
  name: 'sleep',
  alwaysGranted: true,
  calls: {
    sleep: async ([ms], call) => {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw new ProvError('PermissionDenied', `ctx.sleep(ms) needs a finite number of milliseconds ≥ 0, got ${JSON.stringify(ms)}`);
      }
      const wait = Math.min(ms, Math.max(0, call.deadline - Date.now()));
      try {
        await delay(wait, undefined, { signal: call.signal });
      } catch {
        throw new ProvError('Cancelled', 'ctx.sleep was cancelled: the operation ended');
      }
    },
  },
} satisfies Capability;
