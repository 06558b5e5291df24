import { ProvError } from '../errors/index.js';
import type { Store } from '../state/store.js';
import { LOCAL_SERVER, SERVER_NAME, type ProviderOrigin, type ServerRecord } from './server-record.js';

interface Row {
  name: string;
  host: string;
  port: number;
  user: string;
  identity: string | null;
  tags: string;
  host_keys: string;
  source: string;
  created_at: string;
  provider: string | null;
}

function fromRow(row: Row): ServerRecord {
  return {
    name: row.name,
    host: row.host,
    port: row.port,
    user: row.user,
    identity: row.identity,
    tags: JSON.parse(row.tags) as string[],
    hostKeys: JSON.parse(row.host_keys) as string[],
    source: row.source,
    createdAt: row.created_at,
    ...(row.provider === null || row.provider === undefined ? {} : { provider: JSON.parse(row.provider) as ProviderOrigin }),
  };
}

/** The operator's servers: added by hand (`prov server add`) or by providers; `local` is always there. */
export class Inventory {
  constructor(private readonly store: Store) {}

  list(): ServerRecord[] {
    const rows = this.store.db.prepare('SELECT * FROM servers ORDER BY name').all() as unknown as Row[];
    return [LOCAL_SERVER, ...rows.map(fromRow)];
  }

  get(name: string): ServerRecord | undefined {
    if (name === LOCAL_SERVER.name) return LOCAL_SERVER;
    const row = this.store.db.prepare('SELECT * FROM servers WHERE name = ?').get(name) as unknown as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** Adds a server; a name already there is an error unless `replace`. */
  add(server: ServerRecord, replace = false): void {
    if (!SERVER_NAME.test(server.name) || server.name === LOCAL_SERVER.name) {
      throw new ProvError('Usage', `"${server.name}" cannot name a server`, {
        hint: 'Server names are lower-case letters, digits, ".", "_" and "-" (at most 63); "local" is the machine prov runs on.',
      });
    }
    this.store.transaction(() => {
      if (!replace && this.get(server.name) !== undefined) {
        throw new ProvError('Usage', `A server named "${server.name}" is already in the inventory`, {
          hint: `Remove it first (prov server remove ${server.name}), or pick another name.`,
        });
      }
      this.store.db
        .prepare('INSERT OR REPLACE INTO servers (name, host, port, user, identity, tags, host_keys, source, created_at, provider) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(server.name, server.host, server.port, server.user, server.identity, JSON.stringify(server.tags), JSON.stringify(server.hostKeys), server.source, server.createdAt, server.provider === undefined ? null : JSON.stringify(server.provider));
    });
  }

  /** Removes the servers a provider recorded under its id for them (after its deleteServer); their names. */
  removeProvided(provider: string, id: string): string[] {
    return this.store.transaction(() => {
      const names = this.list().filter((server) => server.provider?.name === provider && server.provider.id === id).map((server) => server.name);
      for (const name of names) this.store.db.prepare('DELETE FROM servers WHERE name = ?').run(name);
      return names;
    });
  }

  remove(name: string): boolean {
    return this.store.transaction(() => this.store.db.prepare('DELETE FROM servers WHERE name = ?').run(name).changes > 0);
  }
}
