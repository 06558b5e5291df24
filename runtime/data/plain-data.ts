/**
 * Manifests, inputs and guest results are attacker data. They enter host code
 * only as plain values built here: objects without a prototype, no `__proto__`
 * keys, nothing but JSON types (TOML dates become ISO strings).
 */

export type PlainValue = null | boolean | number | string | PlainValue[] | PlainObject;
export interface PlainObject {
  [key: string]: PlainValue;
}

const FORBIDDEN_KEYS = new Set(['__proto__']);

/** Copies `value` into prototype-free plain data; throws on anything that is not data. */
export function toPlainData(value: unknown, path = '$'): PlainValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path} is not a finite number`);
    return value;
  }
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new TypeError(`${path} is an integer too large to represent`);
    }
    return Number(value);
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item, index) => toPlainData(item, `${path}[${index}]`));
  if (typeof value === 'object') {
    // TOML dates (TomlDate extends Date) are handled above; anything else with a
    // toISOString is not expected here.
    const out = Object.create(null) as PlainObject;
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) continue;
      out[key] = toPlainData((value as Record<string, unknown>)[key], `${path}.${key}`);
    }
    return out;
  }
  throw new TypeError(`${path} is a ${typeof value}, which is not plain data`);
}

/**
 * JSON.parse into prototype-free plain data. JSON.parse itself makes
 * `__proto__` an ordinary own key (never the prototype); toPlainData drops it.
 */
export function parsePlainJson(text: string): PlainValue {
  return toPlainData(JSON.parse(text));
}

export function isPlainObject(value: PlainValue | undefined): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
