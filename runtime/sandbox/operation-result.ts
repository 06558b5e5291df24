import type { PlainValue } from '../data/plain-data.js';

/** One mutating call recorded in check mode (filled by the gated capabilities). */
export interface PlanEntry {
  capability: string;
  target: string;
  summary: string;
  diff?: string;
}

/** What an operation returns through the runtime. */
export interface OperationResult {
  result: PlainValue;
  /** Derived by the host from the mutating calls the operation made; never self-reported. */
  changed: boolean;
  /** Present in check mode: what would have been done. */
  plan?: PlanEntry[];
}
