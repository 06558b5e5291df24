import type { Capability } from '../capability.js';
import { logCapability } from './log-capability.js';
import { sleepCapability } from './sleep-capability.js';

/** Every capability of the host API. Adding one is adding its file and a line here. */
export const capabilities = {
  log: logCapability,
  sleep: sleepCapability,
} satisfies Record<string, Capability>;

export type CapabilityName = keyof typeof capabilities;
