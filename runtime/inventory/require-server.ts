import { ProvError } from '../errors/index.js';
import type { ServerRecord } from './server-record.js';

/** `--server NAME` must name a server of the inventory: a Usage error that says how to add it, before anything runs. */
export function requireServer(inventory: readonly ServerRecord[], name: string | undefined): void {
  if (name === undefined || inventory.some((server) => server.name === name)) return;
  if (name.startsWith('tag:')) {
    throw new ProvError('Usage', `--server ${name} selects servers by tag; this command acts on one server`, { hint: 'Name one server: prov server list shows them.' });
  }
  throw new ProvError('Usage', `No server named "${name}" in the inventory`, { hint: `See prov server list; add one with prov server add ${name} --host H.` });
}

/**
 * What `--server` selects: one server by name, or with `tag:T` every
 * server carrying that tag (in name order, the same syntax as a grant's
 * `servers = ["tag:T"]`). A selector that matches nothing is a Usage error,
 * before anything runs: an operation meant for some servers never silently
 * does nothing.
 */
export function selectServers(inventory: readonly ServerRecord[], selector: string): ServerRecord[] {
  if (!selector.startsWith('tag:')) {
    requireServer(inventory, selector);
    return inventory.filter((server) => server.name === selector);
  }
  const tag = selector.slice('tag:'.length);
  const selected = inventory.filter((server) => server.tags.includes(tag)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (selected.length === 0) {
    const tags = [...new Set(inventory.flatMap((server) => server.tags))].sort();
    throw new ProvError('Usage', `No server in the inventory has the tag "${tag}"`, {
      hint: tags.length === 0 ? 'Tag servers with prov server add NAME --host H --tag T.' : `Tags in the inventory: ${tags.join(', ')}.`,
    });
  }
  return selected;
}
