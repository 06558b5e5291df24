import * as z from 'prov/sdk/zod';

/** RFC 1123 host name: what Hetzner accepts as a server name. */
const hostname = z
  .string()
  .check(z.minLength(1), z.maxLength(63), z.regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'must be a lower-case RFC 1123 host name'));

/** OpenSSH public keys, written into cloud-init for the login user. */
export const SshKeys = z.array(z.string().check(z.regex(/^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+( .*)?$/, 'must be an OpenSSH public key')));

/** What `create-server` uses when neither the input nor settings.json's `defaults` say. */
export const DEFAULT_OS = 'debian-12';

export const FirewallRule = z.object({
  direction: z.enum(['ingress', 'egress']),
  protocol: z.enum(['tcp', 'udp', 'icmp']),
  port: z.optional(z.string().check(z.regex(/^\d{1,5}(-\d{1,5})?$/, 'must be a port or a range like 8000-8080'))),
  source: z.optional(z.string()),
  destination: z.optional(z.string()),
  action: z.enum(['allow', 'deny']),
});

/** The seed's ServerConfig, as Hetzner understands it. */
export const ServerConfig = z.object({
  hostname,
  plan: z.string(),
  zone: z.string(),
  os: z._default(z.string(), DEFAULT_OS),
  ssh_keys: z._default(SshKeys, []),
  tags: z._default(z.record(z.string(), z.string()), {}),
  firewall_rules: z._default(z.array(FirewallRule), []),
  storage: z.optional(z.object({ size: z.optional(z.int().check(z.minimum(10))), type: z.optional(z.string()), encrypted: z.optional(z.boolean()) })),
  network: z.optional(
    z.object({ public_ip: z.optional(z.boolean()), private_network: z.optional(z.string()), bandwidth: z.optional(z.int()) }),
  ),
  /** Extra packages cloud-init installs on first boot. */
  packages: z._default(z.array(z.string().check(z.regex(/^[a-z0-9][a-z0-9+.-]*$/))), []),
  /** The login user cloud-init creates. */
  user: z._default(z.string().check(z.regex(/^[a-z_][a-z0-9_-]{0,31}$/)), 'prov'),
});
export type ServerConfig = z.output<typeof ServerConfig>;

/** `create-server`'s input: plan, zone, os and ssh_keys may come from settings.json's `defaults` instead. */
export const CreateServerInput = z.extend(ServerConfig, {
  plan: z.optional(z.string()),
  zone: z.optional(z.string()),
  os: z.optional(z.string()),
  ssh_keys: z.optional(SshKeys),
});
export type CreateServerInput = z.output<typeof CreateServerInput>;

export const ServerRef = z.object({ id: z.string().check(z.regex(/^\d+$/, 'must be a Hetzner server id (digits)')) });

export const FirewallInput = z.object({
  id: z.string().check(z.regex(/^\d+$/, 'must be a Hetzner server id (digits)')),
  rules: z.array(FirewallRule),
});
