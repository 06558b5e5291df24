import { describe, expect, it } from 'vitest';
import { fsReadPermission } from '../../host-api/capabilities/fs/fs-permissions.js';
import { grantMatches, httpPermission, parseHttpGrant } from '../../host-api/capabilities/http/http-permissions.js';
import { secretEnvName, secretsPermission } from '../../host-api/capabilities/secrets/secret-permissions.js';
import { permissionKinds } from '../../host-api/capabilities/index.js';
import { effectiveGrant } from '../../host-api/grants/effective-grant.js';

describe('http grant grammar (PRODUCT.md §3.1)', () => {
  it.each([
    ['api.example.com', 'api.example.com'],
    ['API.Example.COM', 'api.example.com'],
    ['https://api.example.com:443', 'api.example.com'],
    ['api.example.com:8443', 'api.example.com:8443'],
    ['http://api.example.com', 'http://api.example.com'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
    ['*.example.com', '*.example.com'],
    ['api.example.com.', 'api.example.com'],
    ['http://0x7f.1:80', 'http://127.0.0.1'],
  ])('%s is written %s', (value, canonical) => {
    expect(httpPermission.normalize(value, '/home/op')).toBe(canonical);
  });

  it.each(['ftp://a.example.com', 'user@api.example.com', 'api.example.com/path', 'api example.com', '*.127.0.0.1', '', 'http://'])(
    '%s is refused as a grant',
    (value) => {
      expect(() => httpPermission.normalize(value, '/home/op')).toThrow();
    },
  );

  it('matches scheme, host and port exactly; a wildcard matches subdomains, not the apex', () => {
    const wildcard = parseHttpGrant('*.example.com');
    expect(grantMatches(wildcard, 'https', 'a.example.com', 443)).toBe(true);
    expect(grantMatches(wildcard, 'https', 'a.b.example.com', 443)).toBe(true);
    expect(grantMatches(wildcard, 'https', 'example.com', 443)).toBe(false);
    expect(grantMatches(wildcard, 'https', 'evilexample.com', 443)).toBe(false);
    expect(grantMatches(wildcard, 'http', 'a.example.com', 80)).toBe(false);
    expect(grantMatches(wildcard, 'https', 'a.example.com', 8443)).toBe(false);
    expect(grantMatches(parseHttpGrant('api.example.com'), 'https', 'api.example.com', 443)).toBe(true);
    expect(grantMatches(parseHttpGrant('api.example.com'), 'http', 'api.example.com', 80)).toBe(false);
  });

  it('intersects pattern by pattern: an operator grant wider than the manifest never widens it', () => {
    expect(httpPermission.intersect(['*.example.com'], ['a.example.com'])).toEqual(['a.example.com']);
    expect(httpPermission.intersect(['a.example.com'], ['*.example.com'])).toEqual(['a.example.com']);
    expect(httpPermission.intersect(['*.a.example.com'], ['*.example.com'])).toEqual(['*.a.example.com']);
    expect(httpPermission.intersect(['a.example.com'], ['b.example.com'])).toEqual([]);
    expect(httpPermission.intersect(['a.example.com'], ['http://a.example.com'])).toEqual([]);
    expect(httpPermission.intersect(['a.example.com:8443'], ['a.example.com'])).toEqual([]);
  });
});

describe('fs roots', () => {
  it('are absolute or ~/, with .. resolved', () => {
    expect(fsReadPermission.normalize('~/.config/x', '/home/op')).toBe('/home/op/.config/x');
    expect(fsReadPermission.normalize('/etc/../srv/./data/', '/home/op')).toBe('/srv/data');
    expect(() => fsReadPermission.normalize('relative/path', '/home/op')).toThrow(/absolute/);
    expect(() => fsReadPermission.normalize('/a\0b', '/home/op')).toThrow(/NUL/);
  });

  it('intersect as paths: the narrower of nested roots, nothing for siblings or prefixes', () => {
    expect(fsReadPermission.intersect(['/srv'], ['/srv/app'])).toEqual(['/srv/app']);
    expect(fsReadPermission.intersect(['/srv/app'], ['/'])).toEqual(['/srv/app']);
    expect(fsReadPermission.intersect(['/srv/app'], ['/srv/app2'])).toEqual([]);
    expect(fsReadPermission.intersect(['/srv/app'], ['/srv/ap'])).toEqual([]);
  });
});

describe('secrets', () => {
  it('are matched by exact name; a host binding narrows', () => {
    expect(secretsPermission.intersect(['api.token'], ['api.token'])).toEqual(['api.token']);
    expect(secretsPermission.intersect(['api.token'], ['API.TOKEN'])).toEqual([]);
    expect(secretsPermission.intersect(['api.token'], ['api.token@api.example.com'])).toEqual(['api.token@api.example.com']);
    expect(secretsPermission.intersect(['api.token@a.example.com'], ['api.token@b.example.com'])).toEqual([]);
    expect(() => secretsPermission.normalize('../x', '/')).toThrow();
    expect(() => secretsPermission.normalize('a..b', '/')).toThrow();
  });

  it('read from PROV_SECRET_<NAME>, upper-cased, non-alphanumerics as _', () => {
    expect(secretEnvName('hetzner.token')).toBe('PROV_SECRET_HETZNER_TOKEN');
    expect(secretEnvName('a-b_c.d')).toBe('PROV_SECRET_A_B_C_D');
  });
});

describe('effective grant', () => {
  it('is manifest ∩ operator for every key a capability serves', () => {
    const requested = { http: ['*.example.com'], fs_read: ['/srv'], secrets: ['t'], systemctl: ['x.service'] };
    const operator = { http: ['a.example.com', 'evil.com'], fs_read: ['/'], fs_write: ['/srv'], secrets_read: ['t'], systemctl: ['x.service'] };
    expect(effectiveGrant(requested, operator, permissionKinds)).toEqual({ http: ['a.example.com'], fs_read: ['/srv'], systemctl: ['x.service'] });
  });
});
