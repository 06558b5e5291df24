import { describe, expect, it } from 'vitest';
import { normalizeHostname } from '../../host-api/capabilities/http/http-permissions.js';
import { specialAddressReason } from '../../host-api/capabilities/http/special-addresses.js';

/** How the WHATWG URL parser spells a host, then prov's normalisation: what the address check sees. */
function hostOf(url: string): string {
  return normalizeHostname(new URL(url).hostname);
}

describe('special addresses (PRODUCT.md §3.1)', () => {
  it.each([
    ['0.0.0.0', '"this network" (0.0.0.0/8)'],
    ['10.1.2.3', 'private (RFC 1918)'],
    ['172.31.255.255', 'private (RFC 1918)'],
    ['192.168.0.1', 'private (RFC 1918)'],
    ['100.64.0.1', 'carrier-grade NAT (100.64.0.0/10)'],
    ['100.100.100.200', 'carrier-grade NAT (100.64.0.0/10)'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'link-local (and cloud metadata)'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved (and broadcast)'],
    ['::', 'unspecified (::)'],
    ['::1', 'loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped IPv6'],
    ['::ffff:8.8.8.8', 'IPv4-mapped IPv6'],
    ['::7f00:1', 'IPv4-compatible IPv6'],
    ['64:ff9b::7f00:1', 'NAT64 (64:ff9b::/96)'],
    ['2002:7f00:1::', '6to4 (2002::/16)'],
    ['fd00:ec2::254', 'unique-local (and cloud metadata fd00:ec2::254)'],
    ['fc00::1', 'unique-local (and cloud metadata fd00:ec2::254)'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['not-an-ip', 'not an IP address'],
  ])('%s is %s', (address, reason) => {
    expect(specialAddressReason(address)).toBe(reason);
  });

  it.each(['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a01:4f8::1'])('%s is a public address', (address) => {
    expect(specialAddressReason(address)).toBeUndefined();
  });

  it.each([
    ['http://2130706433/', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://0x7f.0.0.1/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://0/', '0.0.0.0'],
    ['http://%31%32%37.0.0.1/', '127.0.0.1'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1'],
    ['http://[::127.0.0.1]/', '::7f00:1'],
    ['http://[0:0:0:0:0:0:0:1]/', '::1'],
    ['http://api.example.com@127.0.0.1/', '127.0.0.1'],
    ['http:\\\\127.0.0.1\\x', '127.0.0.1'],
    ['http://LOCALHOST./', 'localhost'],
  ])('%s is spelled %s before the check, and refused as special', (url, host) => {
    expect(hostOf(url)).toBe(host);
    if (host !== 'localhost') expect(specialAddressReason(host)).toBeDefined();
  });

  it('refuses to parse a zone id at all', () => {
    expect(() => new URL('http://[fe80::1%25lo]/')).toThrow();
  });
});
