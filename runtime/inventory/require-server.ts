import { ProvError } from '../errors/index.js';
import type { ServerRecord } from './server-record.js';

/** `--server NAME` must name a server of the inventory: a Usage error that says how to add it, before anything runs. */
export function requireServer(inventory: readonly ServerRecord[], name: string | undefined): void {
  if (name === undefined || inventory.some((server) => server.name === name)) return;
  throw new ProvError('Usage', `No server named "${name}" in the inventory`, { hint: `See prov server list; add one with prov server add ${name} --host H.` });
}
