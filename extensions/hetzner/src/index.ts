import { defineOperation, defineProvider, type ProvContext } from 'prov/sdk';
import { PLANS, pricing, ZONES } from './catalog.js';
import {
  createServerRequest,
  firewallRequest,
  serverActionRequest,
  serverRequest,
  type ApiRequest,
} from './hetzner-request.js';
import { FirewallInput, ServerConfig, ServerRef } from './schemas.js';
import { validateServerConfig } from './validate-config.js';

/**
 * Sends a request to the Hetzner Cloud API. Under --check it returns the
 * request it would send. prov's http capability is not there yet, so a real
 * run stops here with an error that says so.
 */
async function callApi(ctx: ProvContext, operation: string, request: ApiRequest): Promise<{ planned: true; request: ApiRequest }> {
  if (ctx.check) {
    await ctx.log.info(`would ${request.method} ${request.url}`);
    return { planned: true, request };
  }
  throw Object.assign(
    new Error(`${operation} calls the Hetzner Cloud API (${request.method} ${request.url}), and this prov has no ctx.http yet: run it with --check to see the request`),
    { code: 'HttpUnavailable' },
  );
}

export default defineProvider({
  createServer: defineOperation({
    input: ServerConfig,
    description: 'Create a server (POST /servers) with cloud-init user data rendered from templates/',
    async run(config, ctx) {
      const validation = validateServerConfig(config);
      if (!validation.valid) throw new Error(`Invalid server config: ${validation.errors.join('; ')}`);
      for (const warning of validation.warnings) await ctx.log.warn(warning);
      const { request } = await callApi(ctx, 'create-server', createServerRequest(config));
      return { id: 'planned', hostname: config.hostname, status: 'planned', addresses: {}, plan: config.plan, zone: config.zone, tags: config.tags, request };
    },
  }),
  deleteServer: defineOperation({
    input: ServerRef,
    description: 'Delete a server (DELETE /servers/{id})',
    run: ({ id }, ctx) => callApi(ctx, 'delete-server', serverRequest('DELETE', id)),
  }),
  listServers: async (_input, ctx) => {
    await callApi(ctx, 'list-servers', serverRequest('GET'));
    return [];
  },
  getServerInfo: defineOperation({
    input: ServerRef,
    description: 'One server (GET /servers/{id})',
    async run({ id }, ctx) {
      const { request } = await callApi(ctx, 'get-server-info', serverRequest('GET', id));
      return { id, hostname: '', status: 'planned', addresses: {}, request };
    },
  }),
  startServer: defineOperation({ input: ServerRef, run: ({ id }, ctx) => callApi(ctx, 'start-server', serverActionRequest(id, 'poweron')) }),
  stopServer: defineOperation({ input: ServerRef, run: ({ id }, ctx) => callApi(ctx, 'stop-server', serverActionRequest(id, 'shutdown')) }),
  rebootServer: defineOperation({ input: ServerRef, run: ({ id }, ctx) => callApi(ctx, 'reboot-server', serverActionRequest(id, 'reboot')) }),
  getPricing: async () => pricing(),
  getPlans: async () => [...PLANS],
  getZones: async () => [...ZONES],
  getSshAccess: defineOperation({
    input: ServerRef,
    description: 'How to reach a server: root over SSH on its public IPv4 (GET /servers/{id})',
    async run({ id }, ctx) {
      await callApi(ctx, 'get-ssh-access', serverRequest('GET', id));
      return { host: '', port: 22, user: 'root' };
    },
  }),
  configureFirewall: defineOperation({
    input: FirewallInput,
    description: 'Create a firewall applied to the server (POST /firewalls)',
    run: ({ id, rules }, ctx) => callApi(ctx, 'configure-firewall', firewallRequest(id, rules)),
  }),
  validateConfig: defineOperation({
    input: ServerConfig,
    description: 'Check a server config against the schema and the plan/zone catalogue',
    run: (config) => validateServerConfig(config),
  }),
  testConnection: async (_input, ctx) => {
    await callApi(ctx, 'test-connection', serverRequest('GET'));
    return { success: true, message: 'The API request is planned; run without --check once prov has ctx.http' };
  },
});
