import ivm from 'isolated-vm';
import { codeCacheKey, type CodeCache } from './code-cache.js';

/** A compiled script, and whether its code cache should be written again once it has run. */
export interface CompiledScript {
  script: ivm.Script;
  refresh: boolean;
}

/**
 * Compiles guest scripts with V8 code caches. A cache is taken *after* the
 * script ran (`refresh`), so it also holds the functions V8 compiled lazily
 * while running: about twice the size, and it halves the time a bundle's
 * top-level code takes on the next load.
 */
export class CachedCompiler {
  readonly #cache: CodeCache;
  readonly #keys = new Map<string, string>();

  constructor(cache: CodeCache) {
    this.#cache = cache;
  }

  /** Compiles with the cache when there is one; `refresh` says it is missing or V8 rejected it. */
  async compile(isolate: ivm.Isolate, code: string, filename: string): Promise<CompiledScript> {
    const cached = await this.#cache.get(this.#key(code));
    if (cached === undefined) return { script: isolate.compileScriptSync(code, { filename }), refresh: true };
    const data = cached.buffer.slice(cached.byteOffset, cached.byteOffset + cached.byteLength) as ArrayBuffer;
    const script = isolate.compileScriptSync(code, { filename, cachedData: new ivm.ExternalCopy(data) }) as ivm.Script & {
      cachedDataRejected?: boolean;
    };
    return { script, refresh: script.cachedDataRejected === true };
  }

  /** Stores a cache for `code` from an isolate in which it has already run. */
  async refresh(isolate: ivm.Isolate, code: string, filename: string): Promise<void> {
    const script = isolate.compileScriptSync(code, { filename, produceCachedData: true }) as ivm.Script & {
      cachedData?: ivm.ExternalCopy<ArrayBuffer>;
    };
    script.release();
    if (script.cachedData !== undefined) await this.#cache.set(this.#key(code), new Uint8Array(script.cachedData.copy()));
  }

  #key(code: string): string {
    let key = this.#keys.get(code);
    if (key === undefined) this.#keys.set(code, (key = codeCacheKey(code)));
    return key;
  }
}
