import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runProv } from '../helpers/run-cli.js';
import { createTempExtension, providerSource, type TempExtension } from '../helpers/temp-extension.js';

/**
 * https is verified: a server whose certificate no CA vouches for is not
 * talked to, even when its literal address is granted.
 */
describe('http over TLS', () => {
  const tls = path.join(REPO_ROOT, 'test', 'fixtures', 'tls');
  let server: https.Server;
  let origin: string;
  let requests = 0;
  let ext: TempExtension;

  beforeAll(async () => {
    server = https.createServer({ key: readFileSync(path.join(tls, 'self-signed.key')), cert: readFileSync(path.join(tls, 'self-signed.crt')) }, (_request, response) => {
      requests++;
      response.end('secret page');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    ext = await createTempExtension({
      manifestExtra: `[permissions]\nhttp = ["127.0.0.1:${(server.address() as AddressInfo).port}"]\n`,
      source: providerSource({
        getZones: `async getZones(_input: unknown, ctx: any) {
    try { return (await ctx.http.fetch('${origin}/')).body; } catch (error: any) { return { code: error.code, reason: error.reason, message: error.message }; }
  }`,
      }),
    });
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await ext.cleanup();
  });

  it('refuses a self-signed certificate: HostCallFailed, and the server answers nothing', async () => {
    const run = await runProv(['run', ext.dir, 'get-zones', '--json', '--allow-http', origin.replace('https://', '')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.result).toMatchObject({ code: 'HostCallFailed', reason: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(run.json.result.message).toContain(`http.fetch: GET ${origin}/: self-signed certificate`);
    expect(requests).toBe(0);
  });

  it('does not take NODE_TLS_REJECT_UNAUTHORIZED or NODE_EXTRA_CA_CERTS from prov\'s environment into the sandbox host', async () => {
    const run = await runProv(['run', ext.dir, 'get-zones', '--json', '--allow-http', origin.replace('https://', '')], {
      env: { NODE_TLS_REJECT_UNAUTHORIZED: '0', NODE_EXTRA_CA_CERTS: path.join(tls, 'self-signed.crt') },
    });
    expect(run.json.result).toMatchObject({ code: 'HostCallFailed', reason: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(requests).toBe(0);
  });
});
