import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { normalizeRemotePath, remoteWritePermission } from '../../host-api/capabilities/servers/remote-path.js';
import { execPermission, serverMatches, serversPermission } from '../../host-api/capabilities/servers/server-permissions.js';
import { shellQuote } from '../../host-api/capabilities/servers/server-transport.js';
import { isUnitName, systemctlPermission, unitMatches } from '../../host-api/capabilities/systemctl/systemctl-permissions.js';

describe('shellQuote', () => {
  const words = [`it's`, '"', '$HOME', '`id`', '$(id)', ';', '|', '&', '*', '?', '[a]', '{a,b}', '~', '#', '!', '\\', '\n', ' ', '', '--', "'''"];
  it('gives sh every word back exactly', () => {
    const script = `printf '%s\\0' ${words.map(shellQuote).join(' ')}`;
    const out = execFileSync('/bin/sh', ['-c', script]).toString('utf8');
    expect(out.split('\0').slice(0, -1)).toEqual(words);
  });
});

describe('exec programs', () => {
  it.each([
    ['/usr/bin/echo', '/usr/bin/echo'],
    ['/usr/bin/../bin/echo', '/usr/bin/echo'],
    ['//bin/sh', '/bin/sh'],
    ['/bin/./sh', '/bin/sh'],
  ])('%s is %s', (value, normal) => expect(execPermission.normalize(value, '/')).toBe(normal));

  it.each(['sh', 'bin/sh', './sh', '/usr/bin/', '/bin/s\0h'])('%s is refused', (value) => expect(() => execPermission.normalize(value, '/')).toThrow());

  it('intersects exactly: no prefix, no glob', () => {
    expect(execPermission.intersect(['/usr/bin/echo'], ['/usr/bin/echo', '/bin/sh'])).toEqual(['/usr/bin/echo']);
    expect(execPermission.intersect(['/usr/bin/echo'], ['/usr/bin/ech'])).toEqual([]);
  });
});

describe('servers entries', () => {
  it('match names, tags and *, and intersect as conjunctions', () => {
    const web1 = { name: 'web-1', tags: ['web'] };
    expect(serverMatches('web-1', web1)).toBe(true);
    expect(serverMatches('tag:web', web1)).toBe(true);
    expect(serverMatches('tag:db', web1)).toBe(false);
    expect(serversPermission.intersect(['tag:web'], ['web-1'])).toEqual(['tag:web&web-1']);
    expect(serverMatches('tag:web&web-1', web1)).toBe(true);
    expect(serverMatches('tag:web&web-1', { name: 'web-1', tags: [] })).toBe(false);
    expect(serversPermission.intersect(['*'], ['local'])).toEqual(['local']);
    expect(serversPermission.intersect(['web-1'], ['web-2'])).toEqual([]);
    expect(() => serversPermission.normalize('Web 1', '/')).toThrow();
  });
});

describe('remote paths', () => {
  it('are absolute and resolved lexically; roots intersect as paths', () => {
    expect(normalizeRemotePath('/etc/../srv//app/')).toBe('/srv/app');
    expect(() => normalizeRemotePath('srv/app')).toThrow();
    expect(remoteWritePermission.intersect(['/etc/systemd/system/a.service'], ['/etc'])).toEqual(['/etc/systemd/system/a.service']);
    expect(remoteWritePermission.intersect(['/etc/a'], ['/etc/ab'])).toEqual([]);
  });
});

describe('systemd units', () => {
  it.each(['demo.service', 'getty@tty1.service', 'a-b_c:d.timer', 'x\\x2dy.mount'])('%s is a unit name', (unit) => expect(isUnitName(unit)).toBe(true));
  it.each(['--root=/', '-H', 'demo', 'demo.service --now', '../x.service', '', `${'a'.repeat(300)}.service`, 'demo.exe', 'de mo.service'])('%s is not', (unit) =>
    expect(isUnitName(unit)).toBe(false),
  );

  it('match granted globs over unit names only', () => {
    expect(unitMatches('containerd*.service', 'containerd.service')).toBe(true);
    expect(unitMatches('containerd*.service', 'containerd-shim.service')).toBe(true);
    expect(unitMatches('containerd*.service', 'ssh.service')).toBe(false);
    expect(unitMatches('demo?.service', 'demo1.service')).toBe(true);
    expect(unitMatches('demo[12].service', 'demo3.service')).toBe(false);
    expect(unitMatches('demo.service', 'demoXservice')).toBe(false);
    expect(systemctlPermission.intersect(['demo*.service'], ['demo1.service'])).toEqual(['demo1.service']);
    expect(systemctlPermission.intersect(['demo*.service'], ['*1.service'])).toEqual(['*1.service&demo*.service']);
    expect(() => systemctlPermission.normalize('--root=/', '/')).toThrow();
  });
});
