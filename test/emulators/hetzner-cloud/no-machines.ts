/**
 * Servers with nothing behind them, for fast tests of the API itself: every
 * power change is done at once, and the addresses come from the ranges kept
 * for documentation (203.0.113.0/24, 2001:db8::/32), which reach nothing.
 */
import type { MachineBackend } from './machine-backend.js';

export function noMachines(): MachineBackend {
  return {
    real: false,
    async create(spec) {
      const id = spec.serverId;
      return {
        ipv4: spec.enableIpv4 ? `203.0.113.${((id - 1) % 254) + 1}` : null,
        ipv6: spec.enableIpv6 ? `2001:db8:0:${id.toString(16)}::/64` : null,
      };
    },
    async powerOn() {},
    async powerOff() {},
    async destroy() {},
    access: () => undefined,
    async stopAll() {},
  };
}
