import type { ServerInfo, SshAccess } from 'prov/sdk';

/** A server as the API returns it (`GET /servers/{id}`). */
export interface ApiServer {
  id: string;
  hostname: string;
  status: string;
  ipv4?: string | null;
  ipv6?: string | null;
  private_ips?: string[];
  plan?: string;
  zone?: string;
  tags?: Record<string, string>;
}

/** The API's statuses in the SDK's words where they differ; the rest as the API says them. */
const STATUS: Readonly<Record<string, ServerInfo['status']>> = {
  provisioning: 'creating',
  off: 'stopped',
};

export function toServerInfo(server: ApiServer): ServerInfo {
  const privateIps = server.private_ips ?? [];
  return {
    id: server.id,
    hostname: server.hostname,
    status: STATUS[server.status] ?? server.status,
    addresses: {
      ...(server.ipv4 ? { public_ipv4: server.ipv4 } : {}),
      ...(server.ipv6 ? { public_ipv6: server.ipv6 } : {}),
      ...(privateIps.length > 0 ? { private: privateIps } : {}),
    },
    ...(server.plan === undefined ? {} : { plan: server.plan }),
    ...(server.zone === undefined ? {} : { zone: server.zone }),
    tags: { ...server.tags },
  };
}

/** SSH on the public IPv4 address, else the IPv6 one, as `user`. */
export function toSshAccess(server: ServerInfo, user: string): SshAccess {
  const host = server.addresses.public_ipv4 ?? server.addresses.public_ipv6;
  if (host === undefined) throw new Error(`Server ${server.id} (${server.hostname}) has no public address; reach it through its private network`);
  return { host, port: 22, user };
}
