/**
 * Actions: what the API hands back for everything that takes time (create,
 * power, delete, apply a firewall). An action is `running` while its work
 * runs, then `success` or `error`; clients poll GET /actions/{id}. The work
 * runs after the answer is sent, as at Hetzner.
 */

export interface ActionResource {
  id: number;
  type: 'server' | 'firewall';
}

export interface ActionJson {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error';
  progress: number;
  started: string;
  finished: string | null;
  resources: ActionResource[];
  error: { code: string; message: string } | null;
}

/** Timestamps as the API writes them: "2016-01-30T23:55:00+00:00". */
export function apiTime(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export class ActionLog {
  readonly #actions = new Map<number, ActionJson>();
  readonly #pending = new Set<Promise<void>>();
  #nextId = 1;

  get(id: number): ActionJson | undefined {
    const action = this.#actions.get(id);
    return action === undefined ? undefined : structuredClone(action);
  }

  list(filter: (action: ActionJson) => boolean = () => true): ActionJson[] {
    return [...this.#actions.values()].filter(filter).map((action) => structuredClone(action));
  }

  /**
   * Records a running action and runs `work` once the caller's answer is
   * built (a microtask later). Returns the action as it is now (running),
   * and when it ends.
   */
  start(command: string, resources: ActionResource[], work: () => Promise<void>): { action: ActionJson; done: Promise<void> } {
    const action: ActionJson = { id: this.#nextId++, command, status: 'running', progress: 0, started: apiTime(), finished: null, resources, error: null };
    this.#actions.set(action.id, action);
    const snapshot = structuredClone(action);
    const done = Promise.resolve()
      .then(work)
      .then(
        () => Object.assign(action, { status: 'success', progress: 100, finished: apiTime() }),
        (error: unknown) => Object.assign(action, { status: 'error', finished: apiTime(), error: { code: 'action_failed', message: (error as Error).message ?? String(error) } }),
      )
      .then(() => undefined);
    this.#pending.add(done);
    void done.finally(() => this.#pending.delete(done));
    return { action: snapshot, done };
  }

  /** Resolves when no action is running. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
