import { describe, expect, it } from 'vitest';
import { toCamelCase, toKebabCase } from '../../runtime/data/operation-names.js';

describe('operation spellings', () => {
  it.each([
    ['create-server', 'createServer'],
    ['get-ssh-access', 'getSshAccess'],
    ['install', 'install'],
    ['getPlans', 'getPlans'],
  ])('%s ↔ %s', (kebab, camel) => {
    expect(toCamelCase(kebab)).toBe(camel);
    expect(toKebabCase(camel)).toBe(kebab === 'getPlans' ? 'get-plans' : kebab);
  });
});
