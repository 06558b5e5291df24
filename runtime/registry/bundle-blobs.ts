import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ProvError } from '../errors/index.js';
import { provHome } from '../state/prov-home.js';

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The registry's files, named by the sha256 of their content under
 * `$PROV_HOME/registry/blobs`. A name says what the content must be, so
 * reading one checks it, and two versions never overwrite each other.
 * Writes are synchronous: they happen inside the registry's transaction,
 * which is what keeps a concurrent garbage collection from deleting a blob
 * another process is about to commit.
 */
export class BundleBlobs {
  readonly dir: string;

  constructor(env: NodeJS.ProcessEnv) {
    this.dir = path.join(provHome(env), 'registry', 'blobs');
  }

  file(hash: string, suffix: '.js' | '.map'): string {
    return path.join(this.dir, `${hash}${suffix}`);
  }

  /** Writes `data` under its hash (temp file, fsync, rename) and returns the hash. */
  put(data: string, suffix: '.js' | '.map'): string {
    const hash = sha256(data);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const target = this.file(hash, suffix);
    const temp = path.join(this.dir, `.${hash}${suffix}.${randomBytes(6).toString('hex')}.tmp`);
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
    return hash;
  }

  /**
   * The content stored under `hash`, checked: a file that is missing or no
   * longer hashes to its name was changed outside prov and is refused.
   */
  get(hash: string, suffix: '.js' | '.map', what: string): string {
    const file = this.file(hash, suffix);
    let data: string;
    try {
      data = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ProvError('BundleTampered', `The registered ${what} is missing: ${file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`, {
        hint: 'Something outside prov removed it. Register the extension again from its source (prov register <dir>), which restores it.',
        details: { file, expected: hash },
      });
    }
    const actual = sha256(data);
    if (actual !== hash) {
      throw new ProvError('BundleTampered', `The registered ${what} was modified: ${file} has sha256 ${actual}, the registry recorded ${hash}`, {
        hint: 'It was changed outside prov and will not run. Inspect it, then register the extension again from its source (prov register <dir>), which restores it.',
        details: { file, expected: hash, actual },
      });
    }
    return data;
  }

  /** Whether the file stored under `hash` is there and still hashes to it. */
  intact(hash: string, suffix: '.js' | '.map'): boolean {
    try {
      return sha256(readFileSync(this.file(hash, suffix), 'utf8')) === hash;
    } catch {
      return false;
    }
  }

  /**
   * Removes blobs no row refers to (left by an unregister or a crash before
   * commit) and stale temp files. Only names prov writes, only files, and
   * never through a blobs directory that is a link: a link to the
   * operator's files must not make an unregister delete them. Best effort:
   * the change it follows has committed, and what it leaves, the next one
   * collects.
   */
  collect(referenced: ReadonlySet<string>): number {
    let removed = 0;
    let entries: string[];
    try {
      if (!lstatSync(this.dir).isDirectory()) return 0;
      entries = readdirSync(this.dir);
    } catch {
      return 0;
    }
    for (const entry of entries) {
      const blob = BLOB_NAME.exec(entry);
      if (blob === null && !TEMP_NAME.test(entry)) continue;
      if (blob !== null && referenced.has(blob[1]!)) continue;
      const file = path.join(this.dir, entry);
      try {
        if (lstatSync(file).isDirectory()) continue;
        unlinkSync(file);
        removed++;
      } catch {
        // Gone already, or not ours to remove.
      }
    }
    return removed;
  }
}

/** `<sha256>.js` / `<sha256>.map`, and the temp files `put` writes on the way. */
const BLOB_NAME = /^([0-9a-f]{64})\.(?:js|map)$/;
const TEMP_NAME = /^\.[0-9a-f]{64}\.(?:js|map)\.[0-9a-f]{12}\.tmp$/;
