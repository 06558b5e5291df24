import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { provHome } from './prov-home.js';

/**
 * prov's embedded transactional store: SQLite (Node's built-in node:sqlite)
 * at $PROV_HOME/prov.db, in WAL mode. Each change runs in a transaction, so
 * an interrupted command never leaves it half-written. The inventory,
 * the registry and cluster deployments live here.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE servers (
     name TEXT PRIMARY KEY,
     host TEXT NOT NULL,
     port INTEGER NOT NULL,
     user TEXT NOT NULL,
     identity TEXT,
     tags TEXT NOT NULL,
     host_keys TEXT NOT NULL,
     source TEXT NOT NULL,
     created_at TEXT NOT NULL
   )`,
  // The registry: one row per (name, type). The bundle and its source map are
  // files named by their sha256 under $PROV_HOME/registry/blobs; the row
  // holds the hashes, so a file changed behind prov's back is refused.
  `CREATE TABLE extensions (
     name TEXT NOT NULL,
     type TEXT NOT NULL,
     version TEXT NOT NULL,
     description TEXT,
     manifest TEXT NOT NULL,
     source_dir TEXT NOT NULL,
     bundle_sha256 TEXT NOT NULL,
     map_sha256 TEXT NOT NULL,
     operations TEXT NOT NULL,
     registered_at TEXT NOT NULL,
     PRIMARY KEY (name, type)
   )`,
  // Cluster deployments: one row per cluster for the operation last run on
  // it (and the pid that ran it, so a dead one is told from a running one),
  // one row per component for its state. Each component's state is committed
  // before and after the runner touches it, so a killed deploy explains itself.
  `CREATE TABLE cluster_deployments (
     cluster TEXT PRIMARY KEY,
     operation TEXT NOT NULL,
     state TEXT NOT NULL,
     pid INTEGER NOT NULL,
     started_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   )`,
  `CREATE TABLE cluster_components (
     cluster TEXT NOT NULL REFERENCES cluster_deployments (cluster) ON DELETE CASCADE,
     name TEXT NOT NULL,
     wave INTEGER NOT NULL,
     component TEXT NOT NULL,
     hash TEXT NOT NULL,
     state TEXT NOT NULL,
     error TEXT,
     deployed_seq INTEGER,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (cluster, name)
   )`,
  // Servers a provider created: which provider, its id for the server, status and addresses at creation (JSON).
  `ALTER TABLE servers ADD COLUMN provider TEXT`,
  // The inventory server a cluster is deployed on: later operations act there, and nowhere else.
  `ALTER TABLE cluster_deployments ADD COLUMN server TEXT`,
];

/** How long a prov process waits for another one's write to finish before it gives up. */
const BUSY_TIMEOUT_MS = 15_000;

export class Store {
  readonly db: DatabaseSync;

  private constructor(db: DatabaseSync) {
    this.db = db;
  }

  static open(env: NodeJS.ProcessEnv = process.env): Store {
    const home = provHome(env);
    mkdirSync(home, { recursive: true, mode: 0o700 });
    // The busy timeout comes first: switching to WAL takes a lock too, and
    // another prov process may hold it (a concurrent register, a first open).
    const db = new DatabaseSync(path.join(home, 'prov.db'), { timeout: BUSY_TIMEOUT_MS });
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;`);
    const store = new Store(db);
    store.#migrate();
    return store;
  }

  /** Runs `work` in one transaction: all of it or none of it. */
  transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  close(): void {
    this.db.close();
  }

  #migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    // Up to date is the common case (every prov command, every dev-loop cycle opens the store): a read, no write lock.
    const now = this.db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
    if (now?.version === MIGRATIONS.length) return;
    this.transaction(() => {
      const row = this.db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
      const current = row?.version ?? 0;
      for (let index = current; index < MIGRATIONS.length; index++) this.db.exec(MIGRATIONS[index]!);
      if (row === undefined) this.db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(MIGRATIONS.length);
      else this.db.prepare('UPDATE schema_version SET version = ?').run(MIGRATIONS.length);
    });
  }
}
