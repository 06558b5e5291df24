import * as z from 'prov/sdk/zod';

/** RFC 1123 host name: what most clouds accept as a server name. */
const Hostname = z
  .string()
  .check(z.minLength(1), z.maxLength(63), z.regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'must be a lower-case RFC 1123 host name'));

/** OpenSSH public keys, installed for the login user on first boot. */
export const SshKeys = z.array(z.string().check(z.regex(/^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+( .*)?$/, 'must be an OpenSSH public key')));

/** What `create-server` uses when neither the input nor settings.json's `defaults` say. */
export const DEFAULT_OS = 'ubuntu-22.04';

/** The seed's FirewallRule. */
export const FirewallRule = z.object({
  direction: z.enum(['ingress', 'egress']),
  protocol: z.enum(['tcp', 'udp', 'icmp']),
  port: z.optional(z.string().check(z.regex(/^\d{1,5}(-\d{1,5})?$/, 'must be a port or a range like 8000-8080'))),
  source: z.optional(z.string()),
  destination: z.optional(z.string()),
  action: z.enum(['allow', 'deny']),
});
export type FirewallRule = z.output<typeof FirewallRule>;

/** The seed's ServerConfig. */
export const ServerConfig = z.object({
  hostname: Hostname,
  plan: z.string().check(z.minLength(1)),
  zone: z.string().check(z.minLength(1)),
  os: z._default(z.string(), DEFAULT_OS),
  ssh_keys: z._default(SshKeys, []),
  tags: z._default(z.record(z.string(), z.string()), {}),
  firewall_rules: z._default(z.array(FirewallRule), []),
  storage: z.optional(z.object({ size: z.optional(z.int().check(z.minimum(10))), type: z.optional(z.string()), encrypted: z.optional(z.boolean()) })),
  network: z.optional(z.object({ public_ip: z.optional(z.boolean()), private_network: z.optional(z.string()), bandwidth: z.optional(z.int()) })),
});
export type ServerConfig = z.output<typeof ServerConfig>;

/** `wait: true` polls until the server reaches the state the operation asked for (settings.json's `wait` bounds it). */
const Wait = z.optional(z.boolean());

/** `create-server`'s input: plan, zone, os and ssh_keys may come from settings.json's `defaults` instead. */
export const CreateServerInput = z.extend(ServerConfig, {
  plan: z.optional(z.string().check(z.minLength(1))),
  zone: z.optional(z.string().check(z.minLength(1))),
  os: z.optional(z.string()),
  ssh_keys: z.optional(SshKeys),
  wait: Wait,
});
export type CreateServerInput = z.output<typeof CreateServerInput>;

/** The cloud's server id. Restricted so that it can be put into a URL path as is. */
const ServerId = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a server id (letters, digits, "_" and "-")'));

export const ServerRef = z.object({ id: ServerId });

/** start-server, stop-server, reboot-server and delete-server: a server, and whether to wait for the outcome. */
export const ServerAction = z.object({ id: ServerId, wait: Wait });
export type ServerAction = z.output<typeof ServerAction>;

export const FirewallInput = z.object({ id: ServerId, rules: z.array(FirewallRule) });
