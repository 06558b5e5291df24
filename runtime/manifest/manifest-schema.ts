import { z } from 'zod';
import { PERMISSION_KEYS, type PermissionKey } from '../../host-api/grants/permission-keys.js';

/**
 * The part of metadata.toml the runtime needs to build and run an extension.
 * The full strict schema (every table of PRODUCT.md §1, unknown keys refused)
 * belongs to validation; tables not named here pass through untouched.
 */

export const EXTENSION_KINDS = ['provider', 'taskserv', 'cluster'] as const;
export type ExtensionKind = (typeof EXTENSION_KINDS)[number];

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** `[extension] name`: unique per type, used in file names, unit names and secret names. */
export const EXTENSION_NAME = /^[a-z][a-z0-9-]{1,62}$/;

export const extensionTableSchema = z.looseObject({
  name: z.string().regex(EXTENSION_NAME, 'must match ^[a-z][a-z0-9-]{1,62}$ (lower-case letters, digits, dashes; 2–63 characters)'),
  type: z.enum(EXTENSION_KINDS, { error: 'must be one of provider, taskserv, cluster' }),
  version: z.string().regex(SEMVER, 'must be a semantic version such as 1.2.0'),
  description: z.string().optional(),
});

export const limitsTableSchema = z.strictObject({
  /** Isolate heap limit, ArrayBuffers included. */
  memory_mb: z.int().min(8, 'must be at least 8').optional(),
  /** Wall-clock deadline per operation. */
  timeout_ms: z.int().min(1, 'must be at least 1').optional(),
  /** CPU time per operation (defaults to timeout_ms). */
  cpu_ms: z.int().min(1, 'must be at least 1').optional(),
  /** Host calls per operation (default 100000). */
  host_calls: z.int().min(1, 'must be at least 1').optional(),
  /** Megabytes moved through host calls per operation (default 256). */
  host_bytes_mb: z.int().min(1, 'must be at least 1').optional(),
});

/** `[permissions]`: what the extension asks for; each entry's grammar is checked by its capability. */
export const permissionsTableSchema = z.strictObject(
  Object.fromEntries(PERMISSION_KEYS.map((key) => [key, z.array(z.string(), { error: 'must be a list of strings' }).optional()])) as Record<
    PermissionKey,
    z.ZodOptional<z.ZodArray<z.ZodString>>
  >,
);

export const manifestSchema = z.looseObject({
  extension: extensionTableSchema,
  permissions: permissionsTableSchema.optional(),
  limits: limitsTableSchema.optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestLimits = z.infer<typeof limitsTableSchema>;
