/**
 * Firewalls (docs.hetzner.cloud, "Firewalls"): named rule sets applied to
 * servers. Rules only allow (what no rule allows is dropped), so the API
 * checks each rule's shape: `in` rules need source_ips, `out` rules
 * destination_ips; tcp and udp need a port ("80", "8000-8080" or "any"),
 * icmp, esp and gre take none. The emulator records rules; it does not
 * filter the machines' traffic.
 */
import { apiTime } from './actions.js';
import { ApiError, invalidInput, notFound, uniquenessError, type FieldProblem } from './api-error.js';
import { checkLabels } from './labels.js';

export interface FirewallRule {
  description: string | null;
  direction: 'in' | 'out';
  protocol: 'tcp' | 'udp' | 'icmp' | 'esp' | 'gre';
  port: string | null;
  source_ips: string[];
  destination_ips: string[];
}

export interface FirewallJson {
  id: number;
  name: string;
  labels: Record<string, string>;
  created: string;
  rules: FirewallRule[];
  applied_to: { type: 'server'; server: { id: number } }[];
}

const PORT = /^(any|(\d{1,5})(-(\d{1,5}))?)$/;
const CIDR = /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/;

export class FirewallStore {
  readonly #firewalls = new Map<number, FirewallJson>();
  #nextId = 1;

  list(): FirewallJson[] {
    return [...this.#firewalls.values()].map((firewall) => structuredClone(firewall));
  }

  get(id: number): FirewallJson {
    const firewall = this.#firewalls.get(id);
    if (firewall === undefined) throw notFound('firewall', id);
    return structuredClone(firewall);
  }

  /** The firewalls applied to a server, by id. */
  appliedTo(serverId: number): number[] {
    return [...this.#firewalls.values()].filter((firewall) => firewall.applied_to.some((target) => target.server.id === serverId)).map((firewall) => firewall.id);
  }

  /** `serverExists` checks apply_to's servers. Returns the firewall and the servers it is applied to. */
  create(body: Record<string, unknown>, serverExists: (id: number) => boolean): { firewall: FirewallJson; servers: number[] } {
    const problems: FieldProblem[] = [];
    if (typeof body['name'] !== 'string' || body['name'].trim() === '') problems.push({ name: 'name', messages: ['is required'] });
    const labels = checkLabels(body['labels'], problems);
    const rules = checkRules(body['rules'], problems);
    const servers = checkApplyTo(body['apply_to'], problems);
    if (problems.length > 0) throw invalidInput(problems);
    const name = body['name'] as string;
    if ([...this.#firewalls.values()].some((firewall) => firewall.name === name)) throw uniquenessError('firewall name is already used', 'name');
    const missing = servers.filter((id) => !serverExists(id));
    if (missing.length > 0) throw new ApiError('firewall_resource_not_found', `server with ID ${missing[0]} not found`, {}, 422);
    const firewall: FirewallJson = { id: this.#nextId++, name, labels, created: apiTime(), rules, applied_to: servers.map((id) => ({ type: 'server', server: { id } })) };
    this.#firewalls.set(firewall.id, firewall);
    return { firewall: structuredClone(firewall), servers };
  }

  delete(id: number): void {
    if (!this.#firewalls.delete(id)) throw notFound('firewall', id);
  }

  apply(id: number, serverId: number): void {
    const firewall = this.#firewalls.get(id);
    if (firewall === undefined) throw notFound('firewall', id);
    if (!firewall.applied_to.some((target) => target.server.id === serverId)) firewall.applied_to.push({ type: 'server', server: { id: serverId } });
  }

  /** A deleted server is no longer a target of any firewall. */
  forgetServer(serverId: number): void {
    for (const firewall of this.#firewalls.values()) firewall.applied_to = firewall.applied_to.filter((target) => target.server.id !== serverId);
  }
}

function checkRules(value: unknown, problems: FieldProblem[]): FirewallRule[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push({ name: 'rules', messages: ['must be a list'] });
    return [];
  }
  return value.flatMap((raw, index): FirewallRule[] => {
    const field = `rules[${index}]`;
    const rule = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const before = problems.length;
    const direction = rule['direction'];
    const protocol = rule['protocol'];
    if (direction !== 'in' && direction !== 'out') problems.push({ name: `${field}.direction`, messages: ['must be "in" or "out"'] });
    if (!['tcp', 'udp', 'icmp', 'esp', 'gre'].includes(protocol as string)) problems.push({ name: `${field}.protocol`, messages: ['must be one of tcp, udp, icmp, esp, gre'] });
    const port = rule['port'];
    const needsPort = protocol === 'tcp' || protocol === 'udp';
    if (needsPort && (typeof port !== 'string' || !PORT.test(port))) problems.push({ name: `${field}.port`, messages: ['is required for tcp and udp: a port, a range like 8000-8080, or "any"'] });
    if (!needsPort && port !== undefined && port !== null) problems.push({ name: `${field}.port`, messages: [`is not allowed for ${String(protocol)}`] });
    const ips = direction === 'out' ? 'destination_ips' : 'source_ips';
    const list = rule[ips];
    if (!Array.isArray(list) || list.length === 0 || !list.every((ip) => typeof ip === 'string' && CIDR.test(ip))) problems.push({ name: `${field}.${ips}`, messages: ['must be a non-empty list of CIDRs'] });
    if (problems.length > before) return [];
    return [{
      description: typeof rule['description'] === 'string' ? rule['description'] : null,
      direction: direction as FirewallRule['direction'],
      protocol: protocol as FirewallRule['protocol'],
      port: needsPort ? (port as string) : null,
      source_ips: direction === 'in' ? (list as string[]) : [],
      destination_ips: direction === 'out' ? (list as string[]) : [],
    }];
  });
}

function checkApplyTo(value: unknown, problems: FieldProblem[]): number[] {
  if (value === undefined) return [];
  const servers: number[] = [];
  if (Array.isArray(value)) {
    for (const target of value as { type?: unknown; server?: { id?: unknown } }[]) {
      if (target?.type === 'server' && typeof target.server?.id === 'number') servers.push(target.server.id);
      else problems.push({ name: 'apply_to', messages: ['each entry must be {"type": "server", "server": {"id": N}}'] });
    }
  } else problems.push({ name: 'apply_to', messages: ['must be a list'] });
  return servers;
}
