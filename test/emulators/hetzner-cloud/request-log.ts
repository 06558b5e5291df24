/**
 * Every request the emulator answered, in the order answered, with what it
 * answered: what tests look at to see what a client really sent.
 */

export interface RequestRecord {
  method: string;
  /** The path with its query, as sent. */
  path: string;
  pathname: string;
  query: URLSearchParams;
  authorization: string | undefined;
  /** The parsed JSON body, undefined when there was none (or it was not JSON). */
  body: unknown;
  status: number;
  /** The JSON answered (undefined for 204). */
  response: unknown;
  /** Whether the answer was a failure injected with failNext. */
  injected: boolean;
}

export type RequestListener = (record: RequestRecord) => void;

export class RequestLog {
  readonly records: RequestRecord[] = [];
  readonly #listeners = new Set<RequestListener>();

  add(record: RequestRecord): void {
    this.records.push(record);
    for (const listener of this.#listeners) listener(record);
  }

  /** Calls `listener` with each answered request from now on; returns the unsubscribe function. */
  subscribe(listener: RequestListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  count(method: string, pathname: string): number {
    return this.records.filter((record) => record.method === method && record.pathname === pathname).length;
  }
}
