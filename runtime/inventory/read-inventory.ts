import { existsSync } from 'node:fs';
import path from 'node:path';
import { provHome } from '../state/prov-home.js';
import { Store } from '../state/store.js';
import { Inventory } from './inventory.js';
import { LOCAL_SERVER, type ServerRecord } from './server-record.js';

/** Every server of the operator's inventory (with `local`), without creating a store that is not there. */
export function readInventory(env: NodeJS.ProcessEnv = process.env): ServerRecord[] {
  if (!existsSync(path.join(provHome(env), 'prov.db'))) return [LOCAL_SERVER];
  const store = Store.open(env);
  try {
    return new Inventory(store).list();
  } finally {
    store.close();
  }
}
