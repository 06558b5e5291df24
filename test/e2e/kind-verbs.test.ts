import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRegistrableExtension } from '../helpers/registrable-extension.js';
import { REPO_ROOT, runProv } from '../helpers/run-cli.js';

const work = await mkdtemp(path.join(os.tmpdir(), 'prov-verbs-'));
const env = { PROV_HOME: path.join(work, 'home') };
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** `prov provider <op> <name>` and `prov taskserv <op> <name>`: prov run with the seed's verbs. */
describe('the kind verbs', { timeout: 60_000 }, () => {
  it('run an operation of their kind on a registered extension or a directory, in either spelling', async () => {
    const dir = await writeRegistrableExtension(path.join(work, 'acme'), { name: 'acme', version: '1.0.0', members: { getZones: 'async getZones() { return ["z1"]; }' } });
    expect((await runProv(['register', dir], { env })).code).toBe(0);
    expect((await runProv(['provider', 'get-zones', 'acme', '--json'], { env, cwd: os.tmpdir() })).json).toEqual({ ok: true, result: ['z1'], changed: false });
    expect((await runProv(['provider', 'getZones', dir, '--json'], { env })).json.result).toEqual(['z1']);
    const webdemo = await runProv(['taskserv', 'get-available-versions', path.join(REPO_ROOT, 'extensions', 'webdemo'), '--json'], { env });
    expect(webdemo.json, webdemo.stderr).toMatchObject({ ok: true });
  });

  it('refuse another kind\'s operation, and an extension of another kind', async () => {
    const dir = path.join(work, 'acme');
    const wrongOperation = await runProv(['provider', 'install', dir, '--json'], { env });
    expect(wrongOperation.code).toBe(2);
    expect(wrongOperation.json.error).toEqual({
      code: 'Usage',
      message: '"install" is not a provider operation',
      hint: 'A provider has: info, create-server, delete-server, list-servers, get-server-info, start-server, stop-server, reboot-server, get-pricing, get-plans, get-zones, get-ssh-access, configure-firewall, validate-config, test-connection. Other exported operations run with prov run <name> <operation>.',
    });
    const wrongKind = await runProv(['taskserv', 'status', dir, '--json'], { env });
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.json.error).toEqual({ code: 'Usage', message: 'acme is a provider, not a taskserv', hint: `Use prov provider <operation> ${dir}, or prov run ${dir} <operation>.` });
    const notRegistered = await runProv(['taskserv', 'status', 'acme', '--json'], { env, cwd: os.tmpdir() });
    expect(notRegistered.json.error.code).toBe('NotRegistered');
    expect(notRegistered.json.error.message).toBe('No taskserv named "acme" is registered');
  });
});
