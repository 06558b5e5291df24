import * as z from 'prov/sdk/zod';
import { VERSIONS } from './catalog.js';

/** Unprivileged ports only: the service runs as a dynamic, unprivileged user. */
const Port = z.int().check(z.gte(1024, 'must be at least 1024'), z.lte(65535, 'must be at most 65535'));
const Version = z.enum(VERSIONS);
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const LogLevel = z.enum(LOG_LEVELS);
const HealthTimeout = z.int().check(z.gte(0, 'must not be negative'), z.lte(300_000, 'must be at most 300000 (5 minutes)'));

/** No input is the same as `{}`: every field has a default. */
function withDefaults<S extends z.ZodMiniObject>(schema: S) {
  return z.prefault(schema, {} as z.input<S>);
}

export const InstallInput = withDefaults(
  z.strictObject({
    /** Default: the installed version, else the latest. */
    version: z.optional(Version),
    /** Default: the installed port, else 8080. */
    port: z.optional(Port),
    /** Default: the installed level, else info. */
    log_level: z.optional(LogLevel),
    health_timeout_ms: z.optional(HealthTimeout),
  }),
);

/** At least one setting to change; what is not given stays as installed. */
export const ConfigureInput = z.strictObject({
  port: z.optional(Port),
  log_level: z.optional(LogLevel),
  health_timeout_ms: z.optional(HealthTimeout),
});

export const UpgradeInput = withDefaults(
  z.strictObject({
    /** Default: the latest. A lower version downgrades. */
    version: z.optional(Version),
    health_timeout_ms: z.optional(HealthTimeout),
  }),
);

export const RestartInput = withDefaults(z.strictObject({ health_timeout_ms: z.optional(HealthTimeout) }));

export const UninstallInput = withDefaults(
  z.strictObject({
    /** Leave the configuration file (and its directory) in place. */
    keep_config: z.optional(z.boolean()),
  }),
);
