import semver from 'semver';
import { parseTomlSource } from '../manifest/parse-toml-source.js';
import { MANIFEST_FILE } from '../manifest/read-manifest.js';
import type { Finding } from './finding.js';

/** What the dependency rule needs to know of a registered extension. */
export interface RegisteredDependency {
  name: string;
  type: string;
  version: string;
  /** Its own [dependencies]: name → range. */
  dependencies: Record<string, string>;
}

/** A registered extension's [dependencies], read from the manifest it was registered with. */
export function manifestDependencies(manifestSource: string): Record<string, string> {
  const parsed = parseTomlSource(manifestSource);
  if ('syntax' in parsed) return {};
  const table = (parsed.raw as Record<string, unknown>)['dependencies'];
  if (typeof table !== 'object' || table === null) return {};
  return Object.fromEntries(Object.entries(table).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/**
 * The dependency rule: each `[dependencies]` entry is a semver range, names
 * a registered extension, and that extension's version is in range; and the
 * graph through the registry has no cycle back to this extension (printed
 * as its path).
 */
export function dependencyFindings(name: string, dependencies: Record<string, string>, registered: readonly RegisteredDependency[]): Finding[] {
  const findings: Finding[] = [];
  const add = (message: string, hint: string) => findings.push({ rule: 'dependency', severity: 'error', file: MANIFEST_FILE, message, hint });
  for (const [dependency, range] of Object.entries(dependencies)) {
    if (dependency === name) {
      add(`${name} depends on itself`, 'Remove it from [dependencies].');
      continue;
    }
    if (semver.validRange(range) === null) {
      add(`[dependencies] ${dependency} = ${JSON.stringify(range)} is not a semver range`, 'For example ">=1.6.0".');
      continue;
    }
    const candidates = registered.filter((entry) => entry.name === dependency);
    if (candidates.length === 0) {
      add(`[dependencies] ${dependency} is not registered`, `Register it first (prov register <its directory>); prov list shows what is.`);
      continue;
    }
    if (!candidates.some((entry) => semver.satisfies(entry.version, range))) {
      const versions = candidates.map((entry) => `${entry.version} (${entry.type})`).join(', ');
      add(`[dependencies] ${dependency} = ${JSON.stringify(range)}, but the registered ${dependency} is ${versions}`, `Register a ${dependency} in that range, or widen the range.`);
    }
  }
  const cycle = findCycle(name, dependencies, registered);
  if (cycle !== undefined) {
    add(`dependency cycle: ${cycle.join(' → ')}`, `An extension cannot need itself, even through others: remove one of these dependencies.`);
  }
  return findings;
}

/** A path from `name` back to itself through the registered extensions' dependencies, shortest first. */
function findCycle(name: string, dependencies: Record<string, string>, registered: readonly RegisteredDependency[]): string[] | undefined {
  const edges = new Map<string, Set<string>>();
  for (const entry of registered) {
    if (entry.name === name) continue; // this extension's registered edges are replaced by the ones being validated
    const out = edges.get(entry.name) ?? new Set<string>();
    for (const dependency of Object.keys(entry.dependencies)) out.add(dependency);
    edges.set(entry.name, out);
  }
  edges.set(name, new Set(Object.keys(dependencies).filter((dependency) => dependency !== name)));
  // Breadth first from the extension: the first path that returns is a shortest cycle.
  const previous = new Map<string, string>();
  const queue = [...(edges.get(name) ?? [])];
  for (const first of queue) previous.set(first, name);
  while (queue.length > 0) {
    const node = queue.shift()!;
    if (node === name) {
      const path = [name];
      for (let at = previous.get(name)!; at !== name; at = previous.get(at)!) path.unshift(at);
      return [name, ...path];
    }
    for (const next of edges.get(node) ?? []) {
      if (next !== name && previous.has(next)) continue;
      if (next === name && previous.has(name)) continue;
      previous.set(next, node);
      queue.push(next);
    }
  }
  return undefined;
}
