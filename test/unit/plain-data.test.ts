import { describe, expect, it } from 'vitest';
import { parsePlainJson, toPlainData } from '../../runtime/data/plain-data.js';

describe('plain data', () => {
  it('drops __proto__ keys and builds prototype-free objects', () => {
    const value = parsePlainJson('{"__proto__":{"polluted":true},"a":{"constructor":{"prototype":{"x":1}}}}') as Record<string, any>;
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(Object.keys(value)).toEqual(['a']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(value['a'].constructor).toEqual({ prototype: { x: 1 } });
    expect(Object.prototype).not.toHaveProperty('x');
  });

  it('turns TOML dates into ISO strings and small bigints into numbers', () => {
    expect(toPlainData({ when: new Date('2026-01-02T03:04:05Z'), n: 5n })).toEqual({ when: '2026-01-02T03:04:05.000Z', n: 5 });
  });

  it.each([
    [{ f: () => 1 }, '$.f is a function, which is not plain data'],
    [{ n: Number.NaN }, '$.n is not a finite number'],
    [{ big: 2n ** 60n }, '$.big is an integer too large to represent'],
    [[1, Symbol('s')], '$[1] is a symbol, which is not plain data'],
  ])('refuses %o', (value, message) => {
    expect(() => toPlainData(value)).toThrow(message);
  });
});
