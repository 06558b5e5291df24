import type { FirewallRule } from 'prov/sdk';
import { renderCloudInit } from './cloud-init.js';
import type { ServerConfig } from './schemas.js';

export const API_BASE = 'https://api.hetzner.cloud/v1';

/** A request to the Hetzner Cloud API, as documented at docs.hetzner.cloud. */
export interface ApiRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** The token never enters the sandbox: the host fills in the placeholder for api.hetzner.cloud only. */
const AUTH = { Authorization: 'Bearer {{secret:hetzner.token}}' };

export function createServerRequest(config: ServerConfig): ApiRequest {
  return {
    method: 'POST',
    url: `${API_BASE}/servers`,
    headers: { ...AUTH, 'Content-Type': 'application/json' },
    body: {
      name: config.hostname,
      server_type: config.plan,
      location: config.zone,
      image: config.os,
      ssh_keys: config.ssh_keys.map((key) => key.split(' ')[2] ?? key),
      labels: config.tags,
      user_data: renderCloudInit(config),
      public_net: { enable_ipv4: config.network?.public_ip ?? true, enable_ipv6: true },
      ...(config.network?.private_network ? { networks: [Number(config.network.private_network)] } : {}),
      start_after_create: true,
    },
  };
}

export function serverActionRequest(id: string, action: 'poweron' | 'shutdown' | 'reboot'): ApiRequest {
  return { method: 'POST', url: `${API_BASE}/servers/${id}/actions/${action}`, headers: { ...AUTH } };
}

export function serverRequest(method: 'GET' | 'DELETE', id?: string): ApiRequest {
  return { method, url: id === undefined ? `${API_BASE}/servers` : `${API_BASE}/servers/${id}`, headers: { ...AUTH } };
}

/** Hetzner firewall rules: `in`/`out`, CIDR lists, and no explicit deny (anything not allowed is dropped). */
export function firewallRequest(serverId: string, rules: readonly FirewallRule[]): ApiRequest {
  const allowed = rules.filter((rule) => rule.action === 'allow');
  return {
    method: 'POST',
    url: `${API_BASE}/firewalls`,
    headers: { ...AUTH, 'Content-Type': 'application/json' },
    body: {
      name: `prov-${serverId}`,
      apply_to: [{ type: 'server', server: { id: Number(serverId) } }],
      rules: allowed.map((rule) => ({
        direction: rule.direction === 'ingress' ? 'in' : 'out',
        protocol: rule.protocol,
        ...(rule.port === undefined ? {} : { port: rule.port }),
        ...(rule.direction === 'ingress'
          ? { source_ips: [rule.source ?? '0.0.0.0/0', ...(rule.source ? [] : ['::/0'])] }
          : { destination_ips: [rule.destination ?? '0.0.0.0/0', ...(rule.destination ? [] : ['::/0'])] }),
      })),
    },
  };
}
