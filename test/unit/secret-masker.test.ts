import { describe, expect, it } from 'vitest';
import { SecretMasker } from '../../host-api/secrets/secret-masker.js';

describe('SecretMasker', () => {
  const secret = 's3cr"et v/al&ue';
  const masker = new SecretMasker([secret, 'short']);

  it.each([
    ['raw', `token=${secret}!`],
    ['JSON-escaped', JSON.stringify({ token: secret })],
    ['URL-encoded', `https://x.example/?t=${encodeURIComponent(secret)}`],
    ['form-encoded', `t=${encodeURIComponent(secret).replace(/%20/g, '+')}`],
  ])('masks the %s form', (_form, text) => {
    const masked = masker.mask(text);
    expect(masked).toContain('***');
    expect(masked).not.toContain('s3cr');
  });

  it('masks strings and keys deep in plain data, leaves the rest alone', () => {
    expect(masker.maskValue({ a: [`x ${secret}`, 1, true, null], [secret]: 'short' })).toEqual({ a: ['x ***', 1, true, null], '***': '***' });
  });

  it('with no values changes nothing', () => {
    const none = new SecretMasker(['']);
    expect(none.empty).toBe(true);
    expect(none.mask('anything')).toBe('anything');
  });
});
