import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../host-api/audit/audit-record.js';
import { suggestGrant } from '../../host-api/audit/suggest-grant.js';
import { policyGrant, policyLimits, readPolicy, recordGrant } from '../../host-api/policy/policy-file.js';

describe('the policy file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'prov-policy-unit-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is empty when the default file is missing, and an error when --policy names a missing one', async () => {
    expect((await readPolicy(path.join(dir, 'none.toml'), false)).policy).toEqual({});
    await expect(readPolicy(path.join(dir, 'none.toml'), true)).rejects.toMatchObject({ code: 'FileNotFound' });
  });

  it('records grants by merging them into what is there, and keeps other extensions and limits', async () => {
    const file = path.join(dir, 'policy.toml');
    await writeFile(file, '[limits]\nmemory_mb = 256\n[extensions.other]\nhttp = ["a.example.com"]\n');
    const hetzner = { name: 'hetzner', type: 'provider' as const, dir: '/srv/ext/hetzner' };
    await recordGrant(file, hetzner, { http: ['api.hetzner.cloud'], secrets: ['hetzner.token'] });
    await recordGrant(file, hetzner, { http: ['api.hetzner.cloud', 'b.example.com'] });
    const { policy } = await readPolicy(file, true);
    expect(policyGrant(policy, hetzner)).toEqual({ grant: { http: ['api.hetzner.cloud', 'b.example.com'], secrets: ['hetzner.token'] } });
    expect(policyGrant(policy, { name: 'other', type: 'provider', dir: '/x' })).toMatchObject({ grant: { http: ['a.example.com'] }, notice: expect.stringContaining('names no dir') });
    expect(policy.limits).toEqual({ memory_mb: 256 });
  });

  it('binds an entry to a type and directory: an impostor with the same name gets nothing', async () => {
    const file = path.join(dir, 'policy.toml');
    const real = { name: 'hetzner', type: 'provider' as const, dir: '/srv/ext/hetzner' };
    await recordGrant(file, real, { http: ['api.hetzner.cloud'], secrets: ['hetzner.token'] });
    const { policy } = await readPolicy(file, true);
    expect(policyGrant(policy, { ...real, dir: '/tmp/stranger/hetzner' })).toEqual({
      grant: {},
      notice: 'the policy\'s [extensions.hetzner] is bound to /srv/ext/hetzner, not /tmp/stranger/hetzner: not applied (prov grant /tmp/stranger/hetzner binds it here)',
    });
    expect(policyGrant(policy, { ...real, type: 'taskserv' }).grant).toEqual({});
    // Granting the other directory replaces the entry: the first extension's grants do not pass to it.
    await recordGrant(file, { ...real, dir: '/tmp/stranger/hetzner' }, { http: ['example.org'] });
    const after = (await readPolicy(file, true)).policy;
    expect(policyGrant(after, { ...real, dir: '/tmp/stranger/hetzner' }).grant).toEqual({ http: ['example.org'] });
    expect(await readFile(file, 'utf8')).toMatch(/^# prov policy/);
  });

  it('takes the lower of the global and the per-extension limit', async () => {
    const file = path.join(dir, 'policy.toml');
    await writeFile(file, '[limits]\nmemory_mb = 256\ntimeout_ms = 5000\n[extensions.x.limits]\nmemory_mb = 64\ntimeout_ms = 9000\n');
    const { policy } = await readPolicy(file, true);
    expect(policyLimits(policy, 'x')).toEqual({ memory_mb: 64, timeout_ms: 5000 });
    expect(policyLimits(policy, 'y')).toEqual({ memory_mb: 256, timeout_ms: 5000 });
  });

  it('refuses unknown keys and wrong types, naming the field', async () => {
    const file = path.join(dir, 'policy.toml');
    await writeFile(file, '[extensions.x]\nhttp = "api.example.com"\n');
    await expect(readPolicy(file, true)).rejects.toMatchObject({ code: 'PolicyInvalid', message: expect.stringContaining('extensions.x.http') });
    await writeFile(file, '[extensions.x\n');
    await expect(readPolicy(file, true)).rejects.toMatchObject({ code: 'PolicyInvalid', message: expect.stringContaining(`${file}:1:`) });
  });
});

describe('suggestGrant', () => {
  const record = (fields: Partial<AuditRecord>): AuditRecord => ({
    time: '2026-11-27T10:00:00.000Z', extension: 'x', version: '1.0.0', operation: 'op', capability: 'fs', call: 'fs.readFile',
    target: null, permission: null, decision: 'allowed', changed: false, duration_ms: 1, bytes_in: 0, bytes_out: 0, error: null, server: null,
    ...fields,
  });

  it('collects the narrowest entry of every call, allowed, planned or denied, and folds nested paths', () => {
    const suggestion = suggestGrant('x', [
      record({ permission: { key: 'fs_read', value: '/srv/app' } }),
      record({ permission: { key: 'fs_read', value: '/srv/app/config.toml' } }),
      record({ permission: { key: 'fs_read', value: '/srv/app2/x' } }),
      record({ permission: { key: 'http', value: 'api.example.com' }, decision: 'denied' }),
      record({ permission: { key: 'fs_write', value: '/etc/x.conf' }, decision: 'planned' }),
      record({ extension: 'other', permission: { key: 'http', value: 'evil.example.com' } }),
      record({ permission: null, decision: 'denied' }),
    ]);
    expect(suggestion).toEqual({
      extension: 'x',
      calls: 6,
      denied: 2,
      permissions: { http: ['api.example.com'], fs_read: ['/srv/app', '/srv/app2/x'], fs_write: ['/etc/x.conf'] },
    });
  });
});
