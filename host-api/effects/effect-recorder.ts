import type { PlanEntry } from '../../runtime/sandbox/operation-result.js';

/**
 * Collects one operation's effects: each mutating call reports whether it
 * changed anything (real run) or what it would do (check mode). The host
 * derives the operation's `changed` from it; extensions never report it.
 */
export class EffectRecorder {
  readonly plan: PlanEntry[] = [];
  #changed = false;

  /** A mutating call that ran: `changed` is false when it left things as they were. */
  performed(changed: boolean): void {
    if (changed) this.#changed = true;
  }

  /** A mutating call under --check: recorded, not performed. */
  planned(entry: PlanEntry): void {
    this.plan.push(entry);
    if (entry.changes) this.#changed = true;
  }

  get changed(): boolean {
    return this.#changed;
  }
}
