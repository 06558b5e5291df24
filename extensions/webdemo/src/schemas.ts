import * as z from 'prov/sdk/zod';
import { VERSIONS } from './catalog.js';

/** Unprivileged ports only: the service runs as a dynamic, unprivileged user. */
const Port = z.int().check(z.gte(1024, 'must be at least 1024'), z.lte(65535, 'must be at most 65535'));
const Version = z.enum(VERSIONS);
const HealthTimeout = z.int().check(z.gte(0, 'must not be negative'), z.lte(300_000, 'must be at most 300000 (5 minutes)'));

/** No input is the same as `{}`: every field has a default. */
function withDefaults<S extends z.ZodMiniObject>(schema: S) {
  return z.prefault(schema, {} as z.input<S>);
}

export const InstallInput = withDefaults(
  z.strictObject({
    /** Default: the installed port, else 8080. */
    port: z.optional(Port),
    /** Default: the installed version, else the latest. */
    version: z.optional(Version),
    health_timeout_ms: z.optional(HealthTimeout),
  }),
);
export type InstallInput = z.output<typeof InstallInput>;

export const ConfigureInput = z.strictObject({
  port: Port,
  health_timeout_ms: z.optional(HealthTimeout),
});

export const UpgradeInput = withDefaults(
  z.strictObject({
    /** Default: the latest. */
    version: z.optional(Version),
    health_timeout_ms: z.optional(HealthTimeout),
  }),
);

export const RestartInput = withDefaults(z.strictObject({ health_timeout_ms: z.optional(HealthTimeout) }));

export const UninstallInput = withDefaults(
  z.strictObject({
    /** Keep /srv/webdemo/index.html. */
    keep_page: z.optional(z.boolean()),
  }),
);
