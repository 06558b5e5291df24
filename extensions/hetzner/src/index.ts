import { defineOperation, defineProvider, type ConnectionTest, type CreatedServer, type ProvContext, type ServerInfo } from 'prov/sdk';
import { PLANS, pricing, ZONES } from './catalog.js';
import { callApi, HetznerApiError, type ApiAnswer, type Planned } from './hetzner-api.js';
import {
  createServerRequest,
  firewallRequest,
  listServersRequest,
  locationsRequest,
  serverActionRequest,
  serverRequest,
  USER_LABEL,
} from './hetzner-request.js';
import { CreateServerInput, DEFAULT_OS, FirewallInput, ServerConfig, ServerRef, type CreateServerInput as CreateInput } from './schemas.js';
import type { HetznerAction, HetznerServer } from './server-info.js';
import { toServerInfo, toSshAccess } from './server-info.js';
import { readSettings, SETTINGS_FILE, type ProviderSettings } from './settings.js';
import { validateServerConfig } from './validate-config.js';

/** Input first, then settings.json's `defaults`, then the built-in default. */
function withDefaults(input: CreateInput, settings: ProviderSettings): ServerConfig {
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

/** POST /servers/{id}/actions/{action}: the action runs on at Hetzner after the call returns. */
async function serverAction(ctx: ProvContext, id: string, action: 'poweron' | 'shutdown' | 'reboot') {
  const settings = await readSettings(ctx);
  const answer = await callApi<{ action: HetznerAction }>(ctx, settings, serverActionRequest(settings.api_url, id, action));
  if (answer.planned) return planned(id, answer);
  return { id, action: answer.data.action.command, action_id: String(answer.data.action.id), status: answer.data.action.status };
}

async function getServer(ctx: ProvContext, id: string): Promise<ServerInfo> {
  const settings = await readSettings(ctx);
  const answer = await callApi<{ server: HetznerServer }>(ctx, settings, serverRequest(settings.api_url, 'GET', id));
  // A GET is sent under --check too, so it is never planned.
  if (answer.planned) throw new Error(`GET /servers/${id} was planned, not sent`);
  return toServerInfo(answer.data.server);
}

/** One page of GET /servers. */
interface ServerPage {
  servers: HetznerServer[];
  meta?: { pagination?: { next_page?: number | null } };
}

/** Hetzner pages lists; more than this many pages of 50 is a runaway. */
const MAX_PAGES = 200;

export default defineProvider({
  createServer: defineOperation({
    input: CreateServerInput,
    description: 'Create a server (POST /servers) with cloud-init user data rendered from templates/',
    async run(input, ctx): Promise<CreatedServer & { planned?: true; request?: Planned['request'] }> {
      const settings = await readSettings(ctx);
      const config = withDefaults(input, settings);
      const validation = validateServerConfig(config);
      if (!validation.valid) throw new Error(`Invalid server config: ${validation.errors.join('; ')}`);
      for (const warning of validation.warnings) await ctx.log.warn(warning);
      const answer = await callApi<{ server: HetznerServer; root_password?: string | null }>(ctx, settings, createServerRequest(settings.api_url, config));
      if (answer.planned) {
        return { ...planned('planned', answer), hostname: config.hostname, addresses: {}, plan: config.plan, zone: config.zone, tags: config.tags };
      }
      if (answer.data.root_password) {
        // Never part of the result: results are printed and kept in the inventory.
        await ctx.log.warn(`Hetzner set a root password for ${config.hostname}; prov does not show it (reset it in the Hetzner console if needed)`);
      }
      const server = toServerInfo(answer.data.server);
      const host = server.addresses.public_ipv4 ?? server.addresses.public_ipv6;
      return { ...server, ...(host === undefined ? {} : { ssh: { host, port: 22, user: config.user } }) };
    },
  }),
  deleteServer: defineOperation({
    input: ServerRef,
    description: 'Delete a server (DELETE /servers/{id})',
    async run({ id }, ctx) {
      const settings = await readSettings(ctx);
      const answer = await callApi<{ action: HetznerAction }>(ctx, settings, serverRequest(settings.api_url, 'DELETE', id));
      if (answer.planned) return planned(id, answer);
      return { id, status: 'deleting', action_id: String(answer.data.action.id) };
    },
  }),
  listServers: async (_input, ctx) => {
    const settings = await readSettings(ctx);
    const servers: ServerInfo[] = [];
    for (let page: number | null = 1; page !== null; ) {
      if (page > MAX_PAGES) throw new Error(`GET /servers returned more than ${MAX_PAGES} pages`);
      const answer: ApiAnswer<ServerPage> = await callApi<ServerPage>(ctx, settings, listServersRequest(settings.api_url, page));
      if (answer.planned) break;
      servers.push(...answer.data.servers.map(toServerInfo));
      page = answer.data.meta?.pagination?.next_page ?? null;
    }
    return servers;
  },
  getServerInfo: defineOperation({
    input: ServerRef,
    description: 'One server (GET /servers/{id})',
    run: ({ id }, ctx) => getServer(ctx, id),
  }),
  startServer: defineOperation({ input: ServerRef, description: 'Power on (POST /servers/{id}/actions/poweron)', run: ({ id }, ctx) => serverAction(ctx, id, 'poweron') }),
  stopServer: defineOperation({ input: ServerRef, description: 'Shut down via ACPI (POST /servers/{id}/actions/shutdown)', run: ({ id }, ctx) => serverAction(ctx, id, 'shutdown') }),
  rebootServer: defineOperation({ input: ServerRef, description: 'Reboot via ACPI (POST /servers/{id}/actions/reboot)', run: ({ id }, ctx) => serverAction(ctx, id, 'reboot') }),
  getPricing: async () => pricing(),
  getPlans: async () => [...PLANS],
  getZones: async () => [...ZONES],
  getSshAccess: defineOperation({
    input: ServerRef,
    description: 'How to reach a server: the login user cloud-init made (else root) over SSH on its public address (GET /servers/{id})',
    async run({ id }, ctx) {
      const server = await getServer(ctx, id);
      return { ...toSshAccess(server), user: server.tags?.[USER_LABEL] ?? 'root' };
    },
  }),
  configureFirewall: defineOperation({
    input: FirewallInput,
    description: 'Create a firewall applied to the server (POST /firewalls)',
    async run({ id, rules }, ctx) {
      const settings = await readSettings(ctx);
      const answer = await callApi<{ firewall: { id: number; name: string } }>(ctx, settings, firewallRequest(settings.api_url, id, rules));
      if (answer.planned) return planned(id, answer);
      return { id, firewall_id: String(answer.data.firewall.id), name: answer.data.firewall.name, rules: rules.filter((rule) => rule.action === 'allow').length };
    },
  }),
  validateConfig: defineOperation({
    input: ServerConfig,
    description: 'Check a server config against the schema and the plan/zone catalogue',
    run: (config) => validateServerConfig(config),
  }),
  testConnection: async (_input, ctx): Promise<ConnectionTest> => {
    const settings = await readSettings(ctx);
    try {
      const answer = await callApi<{ locations: { name: string }[] }>(ctx, settings, locationsRequest(settings.api_url));
      if (answer.planned) return { success: true, message: 'planned' };
      const locations = answer.data.locations.map((location) => location.name);
      return { success: true, message: `${settings.api_url} accepted the token`, account_info: { api_url: settings.api_url, locations } };
    } catch (error) {
      // The API answered with an error, or could not be reached: that is the test's answer. A denial is not.
      const code = (error as { code?: unknown }).code;
      if (!(error instanceof HetznerApiError) && code !== 'HostCallFailed') throw error;
      return { success: false, message: (error as Error).message, error: String(code) };
    }
  },
});
