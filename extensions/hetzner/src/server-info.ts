import type { ServerInfo, SshAccess } from 'prov/sdk';

/** A server as the Hetzner Cloud API returns it (the fields prov uses; docs.hetzner.cloud, "Servers"). */
export interface HetznerServer {
  id: number;
  name: string;
  status: string;
  public_net?: {
    ipv4?: { ip: string } | null;
    /** The server's /64 network, e.g. "2001:db8:1:2::/64". */
    ipv6?: { ip: string } | null;
  };
  private_net?: { ip: string }[];
  server_type?: { name: string };
  datacenter?: { name: string; location?: { name: string } };
  labels?: Record<string, string>;
}

/** An action the API started (power on, delete, …); it runs on after the call returns. */
export interface HetznerAction {
  id: number;
  command: string;
  status: 'running' | 'success' | 'error' | (string & {});
  progress?: number;
  error?: { code: string; message: string } | null;
}

/** Hetzner's statuses in the SDK's words where there is one; the rest (starting, stopping, migrating, …) as Hetzner says them. */
const STATUS: Readonly<Record<string, ServerInfo['status']>> = {
  initializing: 'creating',
  running: 'running',
  off: 'stopped',
  deleting: 'deleting',
};

/**
 * The server's IPv6 address: Hetzner assigns a /64 and configures `::1` in
 * it on its images, which is the address SSH reaches.
 */
function ipv6Address(network: string): string {
  const prefix = network.split('/')[0]!;
  return prefix.endsWith('::') ? `${prefix}1` : prefix;
}

export function toServerInfo(server: HetznerServer): ServerInfo {
  const ipv4 = server.public_net?.ipv4?.ip;
  const ipv6 = server.public_net?.ipv6?.ip;
  const privateIps = (server.private_net ?? []).map((net) => net.ip);
  const zone = server.datacenter?.location?.name;
  return {
    id: String(server.id),
    hostname: server.name,
    status: STATUS[server.status] ?? server.status,
    addresses: {
      ...(ipv4 ? { public_ipv4: ipv4 } : {}),
      ...(ipv6 ? { public_ipv6: ipv6Address(ipv6) } : {}),
      ...(privateIps.length > 0 ? { private: privateIps } : {}),
    },
    ...(server.server_type ? { plan: server.server_type.name } : {}),
    ...(zone ? { zone } : {}),
    tags: { ...server.labels },
  };
}

/** Root over SSH on the public IPv4 address, else the IPv6 one (images Hetzner provides allow root with the project's keys). */
export function toSshAccess(server: ServerInfo): SshAccess {
  const host = server.addresses.public_ipv4 ?? server.addresses.public_ipv6;
  if (host === undefined) throw new Error(`Server ${server.id} (${server.hostname}) has no public address; reach it through its private network`);
  return { host, port: 22, user: 'root' };
}
