import { makeDefinition, type ExtensionDefinition } from './extension-definition.js';
import type { Json, Operation } from './operation.js';

/** A firewall rule, as in the seed's `FirewallRule` schema. */
export interface FirewallRule {
  direction: 'ingress' | 'egress';
  protocol: 'tcp' | 'udp' | 'icmp';
  port?: string;
  source?: string;
  destination?: string;
  action: 'allow' | 'deny';
}

/** What `createServer` is asked to make; the seed's `ServerConfig`. */
export interface ServerConfig {
  hostname: string;
  plan: string;
  zone: string;
  os?: string;
  ssh_keys?: string[];
  tags?: Record<string, string>;
  firewall_rules?: FirewallRule[];
  storage?: { size?: number; type?: string; encrypted?: boolean };
  network?: { public_ip?: boolean; private_network?: string; bandwidth?: number };
}

/** How to reach a server over SSH; kept in the operator's inventory. */
export interface SshAccess {
  host: string;
  port: number;
  user: string;
  /** Host key fingerprints the provider reports, for pinning. */
  host_keys?: string[];
}

/** A server as the provider reports it. */
export interface ServerInfo {
  id: string;
  hostname: string;
  status: 'creating' | 'running' | 'stopped' | 'rebooting' | 'deleting' | 'error' | (string & {});
  addresses: { public_ipv4?: string; public_ipv6?: string; private?: string[] };
  plan?: string;
  zone?: string;
  tags?: Record<string, string>;
}

/** `createServer`'s result: the new server and how to reach it. */
export interface CreatedServer extends ServerInfo {
  ssh?: SshAccess;
}

export interface Plan {
  name: string;
  cores: number;
  memory_mb: number;
  disk_gb: number;
  description?: string;
}

export interface Zone {
  name: string;
  location?: string;
  description?: string;
}

export interface Price {
  plan: string;
  zone?: string;
  hourly: number;
  monthly: number;
  currency: string;
}

/** `validateConfig`'s result, as in the seed. */
export interface ConfigValidation {
  valid: boolean;
  errors: string[];
  warnings: string[];
}

/** `testConnection`'s result, as in the seed. */
export interface ConnectionTest {
  success: boolean;
  message: string;
  account_info?: Json;
  error?: string;
}

/** Input of the operations that act on one server. */
export interface ServerRef {
  id: string;
}

/**
 * The operations of a provider (PRODUCT.md §2). Each may be a bare async
 * function or a `defineOperation({ input, run })` with a zod input schema.
 */
export interface ProviderOperations {
  createServer: Operation<ServerConfig, CreatedServer>;
  deleteServer: Operation<ServerRef, unknown>;
  listServers: Operation<unknown, ServerInfo[]>;
  getServerInfo: Operation<ServerRef, ServerInfo>;
  startServer: Operation<ServerRef, unknown>;
  stopServer: Operation<ServerRef, unknown>;
  rebootServer: Operation<ServerRef, unknown>;
  getPricing: Operation<unknown, Price[]>;
  getPlans: Operation<unknown, Plan[]>;
  getZones: Operation<unknown, Zone[]>;
  getSshAccess: Operation<ServerRef, SshAccess>;
  configureFirewall: Operation<ServerRef & { rules: FirewallRule[] }, unknown>;
  validateConfig?: Operation<unknown, ConfigValidation>;
  testConnection?: Operation<unknown, ConnectionTest>;
}

/**
 * Defines a provider: the extension that creates and manages cloud servers.
 * `src/index.ts` exports the result as default.
 *
 * @example
 * import { defineProvider, defineOperation } from 'prov/sdk';
 * import * as z from 'prov/sdk/zod';
 *
 * export default defineProvider({
 *   createServer: defineOperation({
 *     input: z.object({ hostname: z.string(), plan: z.string(), zone: z.string() }),
 *     async run(config, ctx) {
 *       await ctx.log.info(`creating ${config.hostname}`);
 *       return { id: 'srv-1', hostname: config.hostname, status: 'creating', addresses: {} };
 *     },
 *   }),
 *   async listServers() { return []; },
 *   // …every other required operation
 * });
 */
export function defineProvider<T extends ProviderOperations>(operations: T): ExtensionDefinition<'provider'> {
  return makeDefinition('provider', operations as unknown as Record<string, Operation>);
}
