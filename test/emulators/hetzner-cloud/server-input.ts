/**
 * POST /servers's body, checked as the API checks it: a body that does not
 * fit the schema is `invalid_input` 400 naming each field; well-formed
 * references to things that do not exist (server type, image, location, ssh
 * key, network, firewall) are `invalid_input` 422.
 */
import { invalidInput, type FieldProblem } from './api-error.js';
import { IMAGES, LOCATIONS, SERVER_TYPES, type Image, type Location, type ServerType } from './catalog.js';
import { checkLabels } from './labels.js';
import type { SshKeyJson } from './ssh-keys.js';

export interface CreateServerInput {
  name: string;
  serverType: ServerType;
  location: Location;
  image: Image;
  sshKeys: SshKeyJson[];
  labels: Record<string, string>;
  userData: string | null;
  enableIpv4: boolean;
  enableIpv6: boolean;
  startAfterCreate: boolean;
  firewallIds: number[];
}

/** RFC 1123 host name, as the API requires of server names. */
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const USER_DATA_MAX = 32 * 1024;

type Ref = string | number;

export interface Lookups {
  sshKey(ref: Ref): SshKeyJson | undefined;
  firewallExists(id: number): boolean;
}

export function parseCreateServer(body: Record<string, unknown>, lookups: Lookups): CreateServerInput {
  const problems: FieldProblem[] = [];
  const problem = (name: string, message: string) => problems.push({ name, messages: [message] });
  const isRef = (value: unknown): value is Ref => (typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isInteger(value));

  const name = body['name'];
  if (typeof name !== 'string' || !HOSTNAME.test(name)) problem('name', 'must be a valid hostname (RFC 1123)');
  if (!isRef(body['server_type'])) problem('server_type', 'is required: a server type name or id');
  if (!isRef(body['image'])) problem('image', 'is required: an image name or id');
  if (body['location'] !== undefined && !isRef(body['location'])) problem('location', 'must be a location name or id');
  const sshKeys = body['ssh_keys'] ?? [];
  if (!Array.isArray(sshKeys) || !sshKeys.every(isRef)) problem('ssh_keys', 'must be a list of ssh key names or ids');
  const labels = checkLabels(body['labels'], problems);
  const userData = body['user_data'] ?? null;
  if (userData !== null && (typeof userData !== 'string' || Buffer.byteLength(userData) > USER_DATA_MAX)) problem('user_data', `must be a string of at most ${USER_DATA_MAX} bytes`);
  const publicNet = (body['public_net'] ?? {}) as Record<string, unknown>;
  if (typeof publicNet !== 'object' || (publicNet['enable_ipv4'] !== undefined && typeof publicNet['enable_ipv4'] !== 'boolean') || (publicNet['enable_ipv6'] !== undefined && typeof publicNet['enable_ipv6'] !== 'boolean')) {
    problem('public_net', 'enable_ipv4 and enable_ipv6 must be booleans');
  }
  if (body['start_after_create'] !== undefined && typeof body['start_after_create'] !== 'boolean') problem('start_after_create', 'must be a boolean');
  const networks = body['networks'] ?? [];
  if (!Array.isArray(networks) || !networks.every((id) => Number.isInteger(id))) problem('networks', 'must be a list of network ids');
  const firewalls = body['firewalls'] ?? [];
  if (!Array.isArray(firewalls) || !firewalls.every((entry) => Number.isInteger((entry as { firewall?: unknown })?.firewall))) problem('firewalls', 'must be a list of {"firewall": id}');
  if (problems.length > 0) throw invalidInput(problems);

  const byRef = <T extends { id: number; name: string }>(items: readonly T[], ref: Ref) => items.find((item) => (typeof ref === 'number' ? item.id === ref : item.name === ref || String(item.id) === ref));
  const serverType = byRef(SERVER_TYPES, body['server_type'] as Ref);
  const image = byRef(IMAGES, body['image'] as Ref);
  const location = body['location'] === undefined ? LOCATIONS[0] : byRef(LOCATIONS, body['location'] as Ref);
  const keys = (sshKeys as Ref[]).map((ref) => ({ ref, key: lookups.sshKey(ref) }));
  const missing: FieldProblem[] = [];
  if (serverType === undefined) missing.push({ name: 'server_type', messages: [`server type ${JSON.stringify(body['server_type'])} not found`] });
  if (image === undefined) missing.push({ name: 'image', messages: [`image ${JSON.stringify(body['image'])} not found`] });
  if (location === undefined) missing.push({ name: 'location', messages: [`location ${JSON.stringify(body['location'])} not found`] });
  for (const { ref } of keys.filter((entry) => entry.key === undefined)) missing.push({ name: 'ssh_keys', messages: [`ssh key ${JSON.stringify(ref)} not found`] });
  // The emulator has no networks: any id names nothing.
  for (const id of networks as number[]) missing.push({ name: 'networks', messages: [`network ${id} not found`] });
  for (const { firewall } of firewalls as { firewall: number }[]) if (!lookups.firewallExists(firewall)) missing.push({ name: 'firewalls', messages: [`firewall ${firewall} not found`] });
  if (serverType !== undefined && location !== undefined && !serverType.prices.some((price) => price.location === location.name)) {
    missing.push({ name: 'server_type', messages: [`server type ${serverType.name} is not available in ${location.name}`] });
  }
  if (missing.length > 0) throw invalidInput(missing, 422);

  return {
    name: name as string,
    serverType: serverType!,
    location: location!,
    image: image!,
    sshKeys: keys.map((entry) => entry.key!),
    labels,
    userData: userData as string | null,
    enableIpv4: (publicNet['enable_ipv4'] as boolean | undefined) ?? true,
    enableIpv6: (publicNet['enable_ipv6'] as boolean | undefined) ?? true,
    startAfterCreate: (body['start_after_create'] as boolean | undefined) ?? true,
    firewallIds: (firewalls as { firewall: number }[]).map((entry) => entry.firewall),
  };
}
