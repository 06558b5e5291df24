import { startTestServer, type TestRequest, type TestResponse, type TestServer } from 'prov/testing';

/** The token the tests give as the secret {{name}}.token; the emulator accepts no other. */
export const TOKEN = 'test-token-7f3a9c';

interface ApiServer {
  id: string;
  hostname: string;
  status: string;
  ipv4: string;
  plan: string;
  zone: string;
  tags: Record<string, string>;
}

/**
 * The API as far as the tests need it (`https://api.acme.example/v1` in
 * src/settings.ts): servers kept in a Map, each new one `provisioning` for
 * `provisioningPolls` GETs and `running` after, every call checked for the
 * token. Change it along with src/ when you point the extension at your
 * cloud's API.
 */
export async function startApiEmulator(provisioningPolls = 2): Promise<TestServer> {
  const servers = new Map<string, { server: ApiServer; polls: number }>();
  const answer = (request: TestRequest): TestResponse => {
    if (request.headers['authorization'] !== `Bearer ${TOKEN}`) return error(401, 'unauthorized', 'bad token');
    const { method, path } = request;
    const id = /^\/v1\/servers\/([^/]+)$/.exec(path)?.[1];
    if (method === 'GET' && path === '/v1/account') return { body: { account: { id: 'acct-1', name: 'test' } } };
    if (method === 'POST' && path === '/v1/servers') {
      const { hostname, plan, zone, tags } = request.json<{ hostname: string; plan: string; zone: string; tags: Record<string, string> }>();
      const server: ApiServer = { id: `srv-${servers.size + 1}`, hostname, status: 'provisioning', ipv4: '203.0.113.7', plan, zone, tags };
      servers.set(server.id, { server, polls: 0 });
      return { status: 201, body: { server } };
    }
    if (method === 'GET' && id !== undefined) {
      const known = servers.get(id);
      if (known === undefined) return error(404, 'not_found', `no server ${id}`);
      known.polls += 1;
      return { body: { server: { ...known.server, status: known.polls > provisioningPolls ? 'running' : 'provisioning' } } };
    }
    return error(404, 'not_found', `${method} ${path}`);
  };
  return startTestServer(answer);
}

function error(status: number, code: string, message: string): TestResponse {
  return { status, body: { error: { code, message } } };
}
