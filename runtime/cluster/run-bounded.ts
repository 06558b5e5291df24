/**
 * Runs `work` on each item with at most `limit` running at once, starting
 * them in the items' order. Before each start it asks `mayStart`; once that
 * says no, the items not yet started are left alone (the ones running are
 * awaited). `work` must not throw: each caller records its own outcome.
 */
export async function runBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>, mayStart: () => boolean = () => true): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && mayStart()) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}
