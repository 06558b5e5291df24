import { describe, expect, it } from 'vitest';
import { permissionKinds } from '../../host-api/capabilities/index.js';
import { StubPrompter } from '../../host-api/policy/prompter.js';
import { resolveGrant } from '../../host-api/policy/resolve-grant.js';

const base = { extension: 'x', version: '1.0.0', kinds: permissionKinds, source: '/ext/x', home: '/home/op' };

describe('resolveGrant', () => {
  it('asks only for what the manifest asks and the operator has not granted, saying what the strong grants mean', async () => {
    const prompter = new StubPrompter('once');
    const grant = await resolveGrant({
      ...base,
      requested: { http: ['api.example.com', 'b.example.com'], secrets_read: ['tok'], servers: ['local'], exec: ['/usr/bin/curl'] },
      operator: { http: ['api.example.com'] },
      prompter,
    });
    expect(prompter.asked).toHaveLength(1);
    expect(prompter.asked[0]!.items).toEqual([
      { key: 'http', value: 'b.example.com', noun: 'http access to' },
      { key: 'secrets_read', value: 'tok', noun: 'reading the secret', warning: 'the extension will see this secret\'s value' },
      { key: 'servers', value: 'local', noun: 'the server', warning: 'includes this machine ("local"): exec and upload there run as you' },
      { key: 'exec', value: '/usr/bin/curl', noun: 'running the program', warning: 'runs with the rights of the account prov logs in as on each granted server' },
    ]);
    expect(grant.granted).toEqual({ http: ['api.example.com', 'b.example.com'], secrets_read: ['tok'], servers: ['local'], exec: ['/usr/bin/curl'] });
  });

  it('warns about this machine whatever the entry that reaches it (tag:local, *)', async () => {
    const prompter = new StubPrompter('deny');
    await resolveGrant({ ...base, requested: { servers: ['tag:local', '*', 'web-1'] }, operator: {}, prompter });
    expect(prompter.asked[0]!.items.map((item) => [item.value, item.warning !== undefined])).toEqual([['tag:local', true], ['*', true], ['web-1', false]]);
  });

  it('denies what the prompter denies, records what it grants always, and never asks when nothing is missing', async () => {
    const denied = await resolveGrant({ ...base, requested: { http: ['a.example.com'] }, operator: {}, prompter: new StubPrompter('deny') });
    expect(denied.granted).toEqual({});
    const recorded: unknown[] = [];
    await resolveGrant({ ...base, requested: { http: ['a.example.com'] }, operator: {}, prompter: new StubPrompter('always'), recordAlways: async (added) => void recorded.push(added) });
    expect(recorded).toEqual([{ http: ['a.example.com'] }]);
    const quiet = new StubPrompter('deny');
    await resolveGrant({ ...base, requested: { http: ['a.example.com'] }, operator: { http: ['a.example.com'] }, prompter: quiet });
    expect(quiet.asked).toEqual([]);
  });
});
