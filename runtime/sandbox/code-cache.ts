import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * V8 code caches for bundles, keyed by a hash of the code and the V8 version
 * (a cache from another V8 is rejected anyway). A cache that V8 rejects is
 * replaced; a cache that cannot be written is simply not kept.
 */
export interface CodeCache {
  get(key: string): Promise<Uint8Array | undefined>;
  set(key: string, data: Uint8Array): Promise<void>;
}

export function codeCacheKey(code: string): string {
  return createHash('sha256').update(process.versions.v8).update('\0').update(code).digest('hex');
}

/** Keeps caches in memory for the life of the process. */
export class MemoryCodeCache implements CodeCache {
  readonly #entries = new Map<string, Uint8Array>();
  async get(key: string): Promise<Uint8Array | undefined> {
    return this.#entries.get(key);
  }
  async set(key: string, data: Uint8Array): Promise<void> {
    this.#entries.set(key, data);
  }
}

/** Keeps caches in files (under $PROV_HOME/cache/code), written atomically, plus a memory layer. */
export class FileCodeCache implements CodeCache {
  readonly #memory = new MemoryCodeCache();
  constructor(readonly directory: string) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    const hit = await this.#memory.get(key);
    if (hit !== undefined) return hit;
    try {
      // Synchronous on purpose: a cache is tens of KB, and a thread-pool round trip costs more than the read.
      const data = new Uint8Array(readFileSync(path.join(this.directory, `${key}.v8cache`)));
      await this.#memory.set(key, data);
      return data;
    } catch {
      return undefined;
    }
  }

  async set(key: string, data: Uint8Array): Promise<void> {
    await this.#memory.set(key, data);
    try {
      await mkdir(this.directory, { recursive: true });
      const file = path.join(this.directory, `${key}.v8cache`);
      const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(temp, data);
      await rename(temp, file);
    } catch {
      // A cache is an optimisation: failing to keep it must not fail the run.
    }
  }
}
