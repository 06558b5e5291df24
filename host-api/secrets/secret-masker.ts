import { escapeControl } from '../../runtime/data/control-characters.js';
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
      for (const form of secretForms(value)) forms.add(form);
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

/**
 * The spellings a value takes in what prov writes: raw, JSON-escaped,
 * URL-encoded (as a component, as encodeURI and the WHATWG parser leave a
 * path or a query, and form-encoded), and with control characters escaped
 * for a terminal — each also JSON-escaped.
 */
function secretForms(value: string): string[] {
  const forms = [value, encodeURIComponent(value), encodeURIComponent(value).replace(/%20/g, '+')];
  try {
    forms.push(encodeURI(value));
  } catch {
    // a lone surrogate: no URL form
  }
  try {
    forms.push(new URL(`http://x/${value}`).pathname.slice(1), new URL(`http://x/?${value}`).search.slice(1));
  } catch {
    // not expressible in a URL
  }
  const escaped = escapeControl(value);
  forms.push(escaped);
  return forms.flatMap((form) => [form, JSON.stringify(form).slice(1, -1)]).filter((form) => form !== '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
