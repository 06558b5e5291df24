import { ProvError } from '../errors/index.js';
import type { ExtensionKind } from '../manifest/manifest-schema.js';
import { failpoint } from '../state/failpoint.js';
import { Store } from '../state/store.js';
import { BundleBlobs } from './bundle-blobs.js';
import type { RegisteredExtension } from './registered-extension.js';

interface Row {
  name: string;
  type: string;
  version: string;
  description: string | null;
  manifest: string;
  source_dir: string;
  bundle_sha256: string;
  map_sha256: string;
  operations: string;
  registered_at: string;
}

function fromRow(row: Row): RegisteredExtension {
  const described = JSON.parse(row.operations) as { operations: RegisteredExtension['operations']; components?: unknown };
  return {
    name: row.name,
    type: row.type as ExtensionKind,
    version: row.version,
    ...(row.description === null ? {} : { description: row.description }),
    manifest: row.manifest,
    sourceDir: row.source_dir,
    bundleSha256: row.bundle_sha256,
    mapSha256: row.map_sha256,
    operations: described.operations,
    ...(described.components === undefined ? {} : { components: described.components }),
    registeredAt: row.registered_at,
  };
}

/** What `put` stores: the row's data and the two files' contents. */
export interface RegistryEntry extends Omit<RegisteredExtension, 'bundleSha256' | 'mapSha256' | 'registeredAt'> {
  bundle: string;
  sourceMap: string;
}

/**
 * The operator's registry of extensions, in the store at $PROV_HOME/prov.db
 * with the bundles beside it. Every change is one transaction that also
 * writes the files it refers to, so concurrent `prov` processes serialise
 * and a process killed at any point leaves either the old row or the new
 * one, each with its files present.
 */
export class Registry {
  readonly blobs: BundleBlobs;

  private constructor(
    private readonly store: Store,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.blobs = new BundleBlobs(env);
  }

  static open(env: NodeJS.ProcessEnv = process.env): Registry {
    return new Registry(Store.open(env), env);
  }

  close(): void {
    this.store.close();
  }

  list(type?: ExtensionKind): RegisteredExtension[] {
    const rows = (type === undefined
      ? this.store.db.prepare('SELECT * FROM extensions ORDER BY name, type').all()
      : this.store.db.prepare('SELECT * FROM extensions WHERE type = ? ORDER BY name').all(type)) as unknown as Row[];
    return rows.map(fromRow);
  }

  /** Every registered extension of that name (one per type). */
  named(name: string): RegisteredExtension[] {
    return (this.store.db.prepare('SELECT * FROM extensions WHERE name = ? ORDER BY type').all(name) as unknown as Row[]).map(fromRow);
  }

  /**
   * The one extension `name` (of `type`, when given) names. None, or one of
   * each of several types without `type`, is an error that says what to do.
   */
  resolve(name: string, type?: ExtensionKind): RegisteredExtension {
    const found = this.named(name).filter((entry) => type === undefined || entry.type === type);
    if (found.length === 1) return found[0]!;
    if (found.length === 0) {
      throw new ProvError('NotRegistered', `No ${type ?? 'extension'} named "${name}" is registered`, {
        hint: `See "prov list"; register one with "prov register <dir>", or give a directory (./${name}).`,
      });
    }
    throw new ProvError('Usage', `"${name}" names a registered ${found.map((entry) => entry.type).join(' and a ')}`, {
      hint: `Say which with --type ${found.map((entry) => entry.type).join(' or --type ')}.`,
    });
  }

  /**
   * Stores `entry`, replacing the row of the same name and type. `decide` sees
   * the current row inside the transaction, so the version check cannot race
   * another process: it throws to refuse, returns false when there is
   * nothing to write.
   */
  put(entry: RegistryEntry, decide: (current: RegisteredExtension | undefined) => boolean): { previous?: RegisteredExtension; stored: RegisteredExtension; written: boolean } {
    const result = this.store.transaction(() => {
      const current = this.#get(entry.name, entry.type);
      if (!decide(current)) return { previous: current, stored: current!, written: false };
      const bundleSha256 = this.blobs.put(entry.bundle, '.js');
      const mapSha256 = this.blobs.put(entry.sourceMap, '.map');
      failpoint('register:blobs-written', this.env);
      const registeredAt = new Date().toISOString();
      const described = JSON.stringify({ operations: entry.operations, ...(entry.components === undefined ? {} : { components: entry.components }) });
      this.store.db
        .prepare(`INSERT OR REPLACE INTO extensions (name, type, version, description, manifest, source_dir, bundle_sha256, map_sha256, operations, registered_at)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(entry.name, entry.type, entry.version, entry.description ?? null, entry.manifest, entry.sourceDir, bundleSha256, mapSha256, described, registeredAt);
      failpoint('register:before-commit', this.env);
      return { previous: current, stored: this.#get(entry.name, entry.type)!, written: true };
    });
    if (result.written) this.#collect();
    return { ...(result.previous === undefined ? {} : { previous: result.previous }), stored: result.stored, written: result.written };
  }

  /** Removes the row (and its files, unless another row shares them). */
  remove(name: string, type?: ExtensionKind): RegisteredExtension {
    const removed = this.store.transaction(() => {
      const entry = this.resolve(name, type);
      this.store.db.prepare('DELETE FROM extensions WHERE name = ? AND type = ?').run(entry.name, entry.type);
      return entry;
    });
    this.#collect();
    return removed;
  }

  #get(name: string, type: ExtensionKind): RegisteredExtension | undefined {
    const row = this.store.db.prepare('SELECT * FROM extensions WHERE name = ? AND type = ?').get(name, type) as unknown as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /**
   * Files no committed row refers to go (a crashed register's, an old
   * version's). Its own transaction, after the change commits: collecting
   * inside it would delete the old files of a change that may yet roll back.
   * The write lock keeps it from seeing another process's files before that
   * process commits them (they are written inside its transaction).
   */
  #collect(): void {
    this.store.transaction(() => {
      const rows = this.store.db.prepare('SELECT bundle_sha256, map_sha256 FROM extensions').all() as unknown as { bundle_sha256: string; map_sha256: string }[];
      this.blobs.collect(new Set(rows.flatMap((row) => [row.bundle_sha256, row.map_sha256])));
    });
  }
}
