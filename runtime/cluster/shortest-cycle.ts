/**
 * The shortest cycle among `nodes` of the graph `edges` (node → the nodes it
 * points to), as a path that returns to its start (`a → b → a` is
 * `['a', 'b', 'a']`), or undefined when there is none.
 *
 * Deterministic, so the same definition always gets the same error: a
 * breadth-first search from each node in name order (neighbours in name
 * order too) finds the shortest cycle through that node; the shortest of
 * those wins, ties going to the start that sorts first. A search per node is
 * quadratic, which is nothing at the size of a cluster.
 */
export function shortestCycle(nodes: Iterable<string>, edges: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  let best: string[] | undefined;
  for (const start of [...nodes].sort(compareNames)) {
    const cycle = shortestCycleThrough(start, edges, best === undefined ? Infinity : best.length - 1);
    if (cycle !== undefined) best = cycle;
  }
  return best;
}

/** A shortest cycle through `start` strictly shorter than `shorterThan` edges, or undefined. */
function shortestCycleThrough(start: string, edges: ReadonlyMap<string, readonly string[]>, shorterThan: number): string[] | undefined {
  const parent = new Map<string, string>();
  let frontier = [start];
  for (let length = 1; length < shorterThan && frontier.length > 0; length++) {
    const next: string[] = [];
    for (const node of frontier) {
      for (const target of [...(edges.get(node) ?? [])].sort(compareNames)) {
        if (target === start) return [...pathTo(node, start, parent), start];
        if (parent.has(target)) continue;
        parent.set(target, node);
        next.push(target);
      }
    }
    frontier = next;
  }
  return undefined;
}

function pathTo(node: string, start: string, parent: ReadonlyMap<string, string>): string[] {
  const path = [node];
  while (path[0] !== start) path.unshift(parent.get(path[0]!)!);
  return path;
}

/** Code-unit order, not the locale's: the same on every machine. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
