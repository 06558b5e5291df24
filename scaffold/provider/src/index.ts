import { defineOperation, defineProvider, type ConnectionTest, type CreatedServer, type Plan, type Price, type ProvContext, type ServerInfo, type Zone } from 'prov/sdk';
import { ApiError, callApi, getJson, type Planned } from './api-client.js';
import { CreateServerInput, DEFAULT_OS, FirewallInput, ServerAction, ServerConfig, ServerRef, type FirewallRule } from './schemas.js';
import { toServerInfo, toSshAccess, type ApiServer } from './server-info.js';
import { readSettings, SETTINGS_FILE, type ProviderSettings } from './settings.js';
import { validateServerConfig } from './validate-config.js';
import { waitForStatus, waitUntilDeleted } from './wait-for-server.js';

/** Input first, then settings.json's `defaults`, then the built-in default. */
function withDefaults(input: CreateServerInput, settings: ProviderSettings): ServerConfig {
  const { defaults } = settings;
  const plan = input.plan ?? defaults.plan;
  const zone = input.zone ?? defaults.zone;
  const missing = [plan === undefined ? 'plan' : undefined, zone === undefined ? 'zone' : undefined].filter((field) => field !== undefined);
  if (missing.length > 0) {
    throw new Error(`create-server needs ${missing.join(' and ')}: give ${missing.length > 1 ? 'them' : 'it'} in the input, or as ${missing.map((field) => `defaults.${field}`).join(' and ')} in ${SETTINGS_FILE}`);
  }
  return { ...input, plan: plan!, zone: zone!, os: input.os ?? defaults.os ?? DEFAULT_OS, ssh_keys: input.ssh_keys ?? defaults.ssh_keys ?? [] };
}

/** Under --check: what a mutating operation would have done, with the request the host planned. */
function planned(id: string, { request }: Planned) {
  return { id, status: 'planned', planned: true as const, request };
}

/** What the power operations wait for. */
const ACTIONS = {
  start: 'running',
  stop: 'stopped',
  reboot: 'running',
} as const;

/** POST /servers/{id}/actions: the action runs on at the cloud after the call returns, unless `wait` is set. */
async function serverAction(ctx: ProvContext, { id, wait }: ServerAction, action: keyof typeof ACTIONS) {
  const settings = await readSettings(ctx);
  const answer = await callApi<{ action: { id: string; status: string } }>(ctx, settings, 'POST', `/servers/${id}/actions`, { type: action });
  if (answer.planned) return planned(id, answer);
  const started = { id, action, action_id: answer.data.action.id, status: answer.data.action.status };
  if (wait !== true) return started;
  const { server, polls } = await waitForStatus(ctx, settings, id, ACTIONS[action]);
  return { ...started, status: server.status, polls };
}

async function getServer(ctx: ProvContext, id: string): Promise<ServerInfo> {
  const settings = await readSettings(ctx);
  const { server } = await getJson<{ server: ApiServer }>(ctx, settings, `/servers/${id}`);
  return toServerInfo(server);
}

/** The rules as the API takes them: an `allow`/`deny` action per rule, ports as strings. */
function apiRules(rules: readonly FirewallRule[]) {
  return rules.map((rule) => ({ ...rule, port: rule.port ?? null }));
}

/** The API pages lists; more than this many pages is a runaway. */
const MAX_PAGES = 100;

export default defineProvider({
  createServer: defineOperation({
    input: CreateServerInput,
    description: 'Create a server (POST /servers); with "wait": true, poll until it runs',
    async run(input, ctx): Promise<CreatedServer & { planned?: true; request?: Planned['request']; polls?: number }> {
      const settings = await readSettings(ctx);
      const config = withDefaults(input, settings);
      const validation = validateServerConfig(config);
      if (!validation.valid) throw new Error(`Invalid server config: ${validation.errors.join('; ')}`);
      for (const warning of validation.warnings) await ctx.log.warn(warning);
      const answer = await callApi<{ server: ApiServer }>(ctx, settings, 'POST', '/servers', {
        hostname: config.hostname,
        plan: config.plan,
        zone: config.zone,
        image: config.os,
        ssh_keys: config.ssh_keys,
        tags: config.tags,
        firewall_rules: apiRules(config.firewall_rules),
        ...(config.storage === undefined ? {} : { storage: config.storage }),
        ...(config.network === undefined ? {} : { network: config.network }),
      });
      if (answer.planned) {
        // Nothing was created, so there is nothing to wait for.
        return { ...planned('planned', answer), hostname: config.hostname, addresses: {}, plan: config.plan, zone: config.zone, tags: config.tags };
      }
      let server = toServerInfo(answer.data.server);
      let polls: number | undefined;
      if (input.wait === true) {
        await ctx.log.info(`waiting for ${server.hostname} (${server.id}) to run`);
        ({ server, polls } = await waitForStatus(ctx, settings, server.id, 'running'));
      }
      const host = server.addresses.public_ipv4 ?? server.addresses.public_ipv6;
      return {
        ...server,
        ...(host === undefined ? {} : { ssh: { host, port: 22, user: settings.defaults.ssh_user } }),
        ...(polls === undefined ? {} : { polls }),
      };
    },
  }),

  deleteServer: defineOperation({
    input: ServerAction,
    description: 'Delete a server (DELETE /servers/{id}); with "wait": true, poll until it is gone',
    async run({ id, wait }, ctx) {
      const settings = await readSettings(ctx);
      const answer = await callApi(ctx, settings, 'DELETE', `/servers/${id}`);
      if (answer.planned) return planned(id, answer);
      if (wait !== true) return { id, status: 'deleting' };
      const { polls } = await waitUntilDeleted(ctx, settings, id);
      return { id, status: 'deleted', polls };
    },
  }),

  listServers: async (_input, ctx) => {
    const settings = await readSettings(ctx);
    const servers: ServerInfo[] = [];
    for (let page: number | null = 1; page !== null; ) {
      if (page > MAX_PAGES) throw new Error(`GET /servers returned more than ${MAX_PAGES} pages`);
      const data: { servers: ApiServer[]; next_page?: number | null } = await getJson(ctx, settings, `/servers?page=${page}`);
      servers.push(...data.servers.map(toServerInfo));
      page = data.next_page ?? null;
    }
    return servers;
  },

  getServerInfo: defineOperation({
    input: ServerRef,
    description: 'One server (GET /servers/{id})',
    run: ({ id }, ctx) => getServer(ctx, id),
  }),

  startServer: defineOperation({ input: ServerAction, description: 'Power on (POST /servers/{id}/actions {"type":"start"})', run: (input, ctx) => serverAction(ctx, input, 'start') }),
  stopServer: defineOperation({ input: ServerAction, description: 'Shut down (POST /servers/{id}/actions {"type":"stop"})', run: (input, ctx) => serverAction(ctx, input, 'stop') }),
  rebootServer: defineOperation({ input: ServerAction, description: 'Reboot (POST /servers/{id}/actions {"type":"reboot"})', run: (input, ctx) => serverAction(ctx, input, 'reboot') }),

  getPricing: async (_input, ctx): Promise<Price[]> => {
    const { prices } = await getJson<{ prices: Price[] }>(ctx, await readSettings(ctx), '/pricing');
    return prices.map(({ plan, zone, hourly, monthly, currency }) => ({ plan, ...(zone === undefined ? {} : { zone }), hourly, monthly, currency }));
  },

  getPlans: async (_input, ctx): Promise<Plan[]> => {
    const { plans } = await getJson<{ plans: Plan[] }>(ctx, await readSettings(ctx), '/plans');
    return plans.map(({ name, cores, memory_mb, disk_gb, description }) => ({ name, cores, memory_mb, disk_gb, ...(description === undefined ? {} : { description }) }));
  },

  getZones: async (_input, ctx): Promise<Zone[]> => {
    const { zones } = await getJson<{ zones: Zone[] }>(ctx, await readSettings(ctx), '/zones');
    return zones.map(({ name, location, description }) => ({ name, ...(location === undefined ? {} : { location }), ...(description === undefined ? {} : { description }) }));
  },

  getSshAccess: defineOperation({
    input: ServerRef,
    description: 'How to reach a server over SSH: its public address and the login user of settings.json defaults.ssh_user (GET /servers/{id})',
    async run({ id }, ctx) {
      const settings = await readSettings(ctx);
      const { server } = await getJson<{ server: ApiServer }>(ctx, settings, `/servers/${id}`);
      return toSshAccess(toServerInfo(server), settings.defaults.ssh_user);
    },
  }),

  configureFirewall: defineOperation({
    input: FirewallInput,
    description: 'Replace the firewall rules of a server (PUT /servers/{id}/firewall)',
    async run({ id, rules }, ctx) {
      const settings = await readSettings(ctx);
      const answer = await callApi<{ firewall: { id: string } }>(ctx, settings, 'PUT', `/servers/${id}/firewall`, { rules: apiRules(rules) });
      if (answer.planned) return planned(id, answer);
      return { id, firewall_id: answer.data.firewall.id, rules: rules.length };
    },
  }),

  validateConfig: defineOperation({
    input: ServerConfig,
    description: 'Check a server config without calling the API (the schema, then what it cannot say)',
    run: (config) => validateServerConfig(config),
  }),

  testConnection: async (_input, ctx): Promise<ConnectionTest> => {
    const settings = await readSettings(ctx);
    try {
      const { account } = await getJson<{ account: { id: string; name?: string } }>(ctx, settings, '/account');
      return { success: true, message: `${settings.api.base_url} accepted the token`, account_info: { api_url: settings.api.base_url, account: account.id, ...(account.name === undefined ? {} : { name: account.name }) } };
    } catch (error) {
      // The API answered with an error, or could not be reached: that is the test's answer. A denial is not.
      const code = (error as { code?: unknown }).code;
      if (!(error instanceof ApiError) && code !== 'HostCallFailed') throw error;
      return { success: false, message: (error as Error).message, error: String(code) };
    }
  },
});
