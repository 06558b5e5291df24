import { z } from 'zod';
import { PERMISSION_KEYS, type PermissionKey } from '../../host-api/grants/permission-keys.js';
import { EXTENSION_KINDS, EXTENSION_NAME, limitsTableSchema } from './manifest-schema.js';

/**
 * The whole of metadata.toml (PRODUCT.md §1, plus the seed's provider
 * tables), strict: an unknown key anywhere is an error. It is the source of
 * the JSON Schema published as schema/metadata.schema.json (editors complete
 * and check manifests with it; a test keeps the two in sync).
 */

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const NAME = EXTENSION_NAME;

const extension = z
  .strictObject({
    name: z.string().regex(NAME, 'must match ^[a-z][a-z0-9-]{1,62}$').describe('Unique per type: lower-case letters, digits, dashes; 2–63 characters.'),
    type: z.enum(EXTENSION_KINDS).describe('provider (cloud servers), taskserv (a component on servers) or cluster (a composition).'),
    version: z.string().regex(SEMVER, 'must be a semantic version such as 1.2.0').describe('Semantic version of this extension.'),
    description: z.string().max(500).optional().describe('One line for `prov list`.'),
    author: z.string().optional().describe('Name <email>.'),
    license: z.string().optional().describe('SPDX identifier, e.g. MIT.'),
  })
  .describe('Identity of the extension.');

const compatibility = z
  .strictObject({
    prov: z.string().optional().describe('Semver range of the prov runtime that can host it, e.g. ">=0.1.0 <1.0.0".'),
    api: z.int().min(1).optional().describe('Major version of the host API it was written against.'),
  })
  .describe('What it needs of the runtime.');

const dependencies = z
  .record(z.string().regex(NAME, 'must be an extension name'), z.string())
  .describe('Other registered extensions it needs, by name, each with a semver range.');

const permissionDescriptions: Record<PermissionKey, string> = {
  http: 'Hosts it may call: "host" (https:443), "host:port", "http://host", "*.suffix".',
  fs_read: 'Roots it may read below: absolute paths or ~/….',
  fs_write: 'Roots it may write below: absolute paths or ~/….',
  secrets: 'Secrets the host fills into {{secret:NAME}} placeholders ("NAME" or "NAME@host").',
  secrets_read: 'Secrets whose values the extension reads itself with ctx.secrets.get.',
  systemctl: 'Units (or patterns like "containerd*.service") it may manage.',
  servers: 'Servers of the inventory it acts on: names, "tag:TAG" or "*".',
  exec: 'Programs (absolute paths) it may run on those servers.',
  remote_read: 'Paths on those servers it may download from.',
  remote_write: 'Paths on those servers it may upload to and remove.',
};

const permissions = z
  .strictObject(
    Object.fromEntries(PERMISSION_KEYS.map((key) => [key, z.array(z.string()).optional().describe(permissionDescriptions[key])])) as Record<
      PermissionKey,
      z.ZodOptional<z.ZodArray<z.ZodString>>
    >,
  )
  .describe('What it asks for; nothing else is ever reachable.');

const capabilities = z
  .strictObject({
    server_management: z.boolean().optional(),
    load_balancer: z.boolean().optional(),
    storage_encryption: z.boolean().optional(),
    backup: z.boolean().optional(),
    monitoring: z.boolean().optional(),
  })
  .describe('Provider only: what the cloud offers.');

const authentication = z
  .strictObject({
    methods: z.array(z.string()).optional(),
    required_fields: z.array(z.string()).optional(),
  })
  .describe('Provider only: how the cloud authenticates.');

const regions = z
  .strictObject({
    default: z.string().optional(),
    available: z.array(z.string()).optional(),
  })
  .describe('Provider only: where servers can be created.');

const support = z
  .strictObject({
    documentation: z.string().optional(),
    issues: z.string().optional(),
  })
  .describe('Where users find help.');

export const strictManifestSchema = z
  .strictObject({
    extension,
    compatibility: compatibility.optional(),
    dependencies: dependencies.optional(),
    permissions: permissions.optional(),
    limits: limitsTableSchema.optional().describe('Per-operation limits; the operator\'s policy may lower them.'),
    capabilities: capabilities.optional(),
    authentication: authentication.optional(),
    regions: regions.optional(),
    support: support.optional(),
  })
  .describe('prov extension manifest (metadata.toml)');

/** The JSON Schema editors read (Even Better TOML / Taplo: `#:schema ./node_modules/prov/schema/metadata.schema.json`). */
export function manifestJsonSchema(): Record<string, unknown> {
  return {
    ...(z.toJSONSchema(strictManifestSchema, { target: 'draft-7' }) as Record<string, unknown>),
    $id: 'https://prov.dev/schema/metadata.schema.json',
    title: 'prov metadata.toml',
  };
}
