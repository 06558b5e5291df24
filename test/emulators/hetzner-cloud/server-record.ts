/**
 * A server as the emulated cloud keeps it, and as the API shows it: the
 * `server` object of docs.hetzner.cloud ("Servers"), with the fields clients
 * read and the ones they usually ignore, so a client that reads more than
 * prov's provider does still finds them.
 */
import { DATACENTERS, LOCATIONS, type Image, type Location, type ServerType } from './catalog.js';

/** Hetzner's server statuses. */
export type ServerStatus = 'initializing' | 'starting' | 'running' | 'stopping' | 'off' | 'deleting' | 'migrating' | 'rebuilding' | 'unknown';

export interface ServerRecord {
  id: number;
  name: string;
  status: ServerStatus;
  created: string;
  serverType: ServerType;
  location: Location;
  image: Image;
  labels: Record<string, string>;
  sshKeyIds: number[];
  userData: string | null;
  ipv4: string | null;
  /** The server's /64. */
  ipv6: string | null;
  /** The running action that holds the server's lock: other actions get `locked` (423) meanwhile. */
  lockedBy: number | null;
  /** Each action's work runs after the previous one's: a deletion waits for a boot in progress. */
  queue: Promise<void>;
}

/** `firewallIds`: the firewalls applied to it (the firewalls know where they apply). */
export function serverJson(server: ServerRecord, firewallIds: readonly number[] = []) {
  const datacenter = DATACENTERS[server.location.name]!;
  return {
    id: server.id,
    name: server.name,
    status: server.status,
    created: server.created,
    public_net: {
      ipv4: server.ipv4 === null ? null : { id: 10_000 + server.id, ip: server.ipv4, blocked: false, dns_ptr: `static.${server.ipv4.split('.').reverse().join('.')}.clients.your-server.de` },
      ipv6: server.ipv6 === null ? null : { id: 20_000 + server.id, ip: server.ipv6, blocked: false, dns_ptr: [] },
      floating_ips: [],
      firewalls: firewallIds.map((id) => ({ id, status: 'applied' })),
    },
    private_net: [],
    server_type: server.serverType,
    datacenter: {
      id: datacenter.id,
      name: datacenter.name,
      description: datacenter.description,
      location: LOCATIONS.find((location) => location.id === server.location.id)!,
    },
    image: server.image,
    iso: null,
    rescue_enabled: false,
    locked: server.lockedBy !== null,
    backup_window: null,
    outgoing_traffic: 0,
    ingoing_traffic: 0,
    included_traffic: server.serverType.prices.find((price) => price.location === server.location.name)?.included_traffic ?? 0,
    protection: { delete: false, rebuild: false },
    labels: { ...server.labels },
    volumes: [],
    load_balancers: [],
    primary_disk_size: server.serverType.disk,
    placement_group: null,
  };
}

export type ServerJson = ReturnType<typeof serverJson>;
