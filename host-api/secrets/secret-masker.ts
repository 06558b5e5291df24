import type { PlainValue } from '../../runtime/data/plain-data.js';

export const MASK = '***';

/**
 * Replaces every secret value with `***` in text prov writes — the raw value,
 * and its JSON-escaped and URL-encoded forms, so a value that reached a JSON
 * document or a URL is masked there too. Longer values are replaced first, so
 * a secret that contains another is masked whole.
 */
export class SecretMasker {
  readonly #pattern: RegExp | undefined;

  constructor(values: Iterable<string>) {
    const forms = new Set<string>();
    for (const value of values) {
      if (value === '') continue;
      forms.add(value);
      forms.add(JSON.stringify(value).slice(1, -1));
      forms.add(encodeURIComponent(value));
      forms.add(encodeURIComponent(value).replace(/%20/g, '+'));
    }
    const sorted = [...forms].sort((a, b) => b.length - a.length);
    this.#pattern = sorted.length === 0 ? undefined : new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  }

  get empty(): boolean {
    return this.#pattern === undefined;
  }

  mask(text: string): string {
    return this.#pattern === undefined ? text : text.replace(this.#pattern, MASK);
  }

  /** Masks every string (and key) in plain data. */
  maskValue<T extends PlainValue | undefined>(value: T): T {
    if (this.#pattern === undefined) return value;
    return this.#maskDeep(value) as T;
  }

  #maskDeep(value: PlainValue | undefined): PlainValue | undefined {
    if (typeof value === 'string') return this.mask(value);
    if (Array.isArray(value)) return value.map((item) => this.#maskDeep(item) as PlainValue);
    if (typeof value === 'object' && value !== null) {
      const out = Object.create(null) as Record<string, PlainValue>;
      for (const [key, item] of Object.entries(value)) out[this.mask(key)] = this.#maskDeep(item) as PlainValue;
      return out;
    }
    return value;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
