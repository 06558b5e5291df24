import type { PlainValue } from '../data/plain-data.js';

/** One mutating call recorded in check mode instead of being performed. */
export interface PlanEntry {
  capability: string;
  /** The ctx call: `fs.writeFile`, `http.fetch`. */
  call: string;
  /** What it acts on: a path, `POST https://…`. */
  target: string;
  /** One line for humans. */
  summary: string;
  /** Whether performing it would change anything (a write of the same bytes would not). */
  changes: boolean;
  /** A unified diff against the current file, for writes. */
  diff?: string;
  /** For HTTP: sha256 of the body that would be sent. */
  bodySha256?: string;
}

/** What an operation returns through the runtime. */
export interface OperationResult {
  result: PlainValue;
  /** Derived by the host from the mutating calls the operation made; never self-reported. */
  changed: boolean;
  /** Present in check mode: what would have been done. */
  plan?: PlanEntry[];
}
