import type { FirewallRule } from 'prov/sdk';
import { renderCloudInit } from './cloud-init.js';
import type { ServerConfig } from './schemas.js';

/** The Hetzner Cloud API; settings.json's `api_url` replaces it (an emulator in tests, a proxy). */
export const DEFAULT_API_URL = 'https://api.hetzner.cloud/v1';

/** A request to the Hetzner Cloud API, as documented at docs.hetzner.cloud. */
export interface ApiRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: Record<string, unknown>;
}

/** Label recording the login user cloud-init created. */
export const USER_LABEL = 'prov/user';

/** The token never enters the sandbox: the host fills in the placeholder for api.hetzner.cloud only. */
const AUTH = { Authorization: 'Bearer {{secret:hetzner.token}}' };

export function createServerRequest(apiUrl: string, config: ServerConfig): ApiRequest {
  return {
    method: 'POST',
    url: `${apiUrl}/servers`,
    headers: { ...AUTH, 'Content-Type': 'application/json' },
    body: {
      name: config.hostname,
      server_type: config.plan,
      location: config.zone,
      image: config.os,
      ssh_keys: config.ssh_keys.map((key) => key.split(' ')[2] ?? key),
      // The login user, so get-ssh-access can name it later (a Hetzner label: key "prefix/name").
      labels: { ...config.tags, [USER_LABEL]: config.user },
      user_data: renderCloudInit(config),
      public_net: { enable_ipv4: config.network?.public_ip ?? true, enable_ipv6: true },
      ...(config.network?.private_network ? { networks: [Number(config.network.private_network)] } : {}),
      start_after_create: true,
    },
  };
}

export function serverActionRequest(apiUrl: string, id: string, action: 'poweron' | 'shutdown' | 'reboot'): ApiRequest {
  return { method: 'POST', url: `${apiUrl}/servers/${id}/actions/${action}`, headers: { ...AUTH } };
}

export function serverRequest(apiUrl: string, method: 'GET' | 'DELETE', id: string): ApiRequest {
  return { method, url: `${apiUrl}/servers/${id}`, headers: { ...AUTH } };
}

/** One page of GET /servers; the API pages at most 50 servers at a time. */
export function listServersRequest(apiUrl: string, page: number): ApiRequest {
  return { method: 'GET', url: `${apiUrl}/servers?page=${page}&per_page=50`, headers: { ...AUTH } };
}

/** The cheapest authenticated call: a test of the URL and the token. */
export function locationsRequest(apiUrl: string): ApiRequest {
  return { method: 'GET', url: `${apiUrl}/locations`, headers: { ...AUTH } };
}

/**
 * Hetzner firewall rules: `in`/`out`, CIDR lists, and no explicit deny
 * (anything not allowed is dropped). The API requires a port on tcp and udp
 * rules: a rule without one means every port, which Hetzner spells `any`.
 */
export function firewallRequest(apiUrl: string, serverId: string, rules: readonly FirewallRule[]): ApiRequest {
  const allowed = rules.filter((rule) => rule.action === 'allow');
  return {
    method: 'POST',
    url: `${apiUrl}/firewalls`,
    headers: { ...AUTH, 'Content-Type': 'application/json' },
    body: {
      name: `prov-${serverId}`,
      apply_to: [{ type: 'server', server: { id: Number(serverId) } }],
      rules: allowed.map((rule) => ({
        direction: rule.direction === 'ingress' ? 'in' : 'out',
        protocol: rule.protocol,
        ...(rule.port !== undefined ? { port: rule.port } : rule.protocol === 'icmp' ? {} : { port: 'any' }),
        ...(rule.direction === 'ingress'
          ? { source_ips: [rule.source ?? '0.0.0.0/0', ...(rule.source ? [] : ['::/0'])] }
          : { destination_ips: [rule.destination ?? '0.0.0.0/0', ...(rule.destination ? [] : ['::/0'])] }),
      })),
    },
  };
}
