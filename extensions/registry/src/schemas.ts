import * as z from 'prov/sdk/zod';
import { ARCHES } from './catalog.js';

const Version = z.string().check(z.regex(/^\d+\.\d+\.\d+$/, 'must be a release version such as 2.8.3 (no "v")'));
/** An http(s) URL with nothing a shell or a unit file would read specially. */
const Url = z.string().check(z.regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._~%/-]*)?$/, 'must be an http:// or https:// URL'));
const Sha256 = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'));
const Port = z.int().check(z.gte(1, 'must be at least 1'), z.lte(65535, 'must be at most 65535'));
/** An IPv4 or IPv6 address literal (`0.0.0.0`: every interface). */
const Address = z.string().check(z.regex(/^(\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$/, 'must be an IP address such as 127.0.0.1 or 0.0.0.0'));
/** An absolute path of plain characters: it goes into YAML unquoted. */
const StoragePath = z.string().check(z.regex(/^\/[A-Za-z0-9._/-]*$/, 'must be an absolute path of letters, digits, ".", "_", "-" and "/"'));
const HealthTimeout = z.int().check(z.gte(0, 'must not be negative'), z.lte(300_000, 'must be at most 300000 (5 minutes)'));

const release = {
  /** Default: the installed version (install), the latest known (upgrade). */
  version: z.optional(Version),
  /** The releases base, `…/releases/download`. Default: the installed one, else GitHub's. */
  mirror: z.optional(Url),
  /** The tarball's expected sha256. Default: the mirror's `<tarball>.sha256`. */
  sha256: z.optional(Sha256),
  arch: z.optional(z.enum(ARCHES)),
};
const settings = {
  /** Default: the installed one, else 127.0.0.1. */
  address: z.optional(Address),
  /** Default: the installed one, else 5000. */
  port: z.optional(Port),
  /** Default: the installed one, else /var/lib/registry. */
  storage_path: z.optional(StoragePath),
};
const health = { health_timeout_ms: z.optional(HealthTimeout) };

/** No input is the same as `{}`: every field has a default. */
function withDefaults<S extends z.ZodMiniObject>(schema: S) {
  return z.prefault(schema, {} as z.input<S>);
}

export const InstallInput = withDefaults(z.strictObject({ ...release, ...settings, ...health }));
export type InstallInput = z.output<typeof InstallInput>;

/**
 * A cluster hands a component's install config to every operation it runs
 * (configure for a scale, upgrade, restart), so each accepts install's
 * fields: configure ignores the release fields, restart all but the health
 * timeout, and upgrade applies the settings it is given with the release.
 */
export const ConfigureInput = withDefaults(z.strictObject({ ...release, ...settings, ...health }));

export const UpgradeInput = withDefaults(z.strictObject({ ...release, ...settings, ...health }));

export const RestartInput = withDefaults(z.strictObject({ ...release, ...settings, ...health }));

/**
 * A cluster hands every component's install config to its uninstall too, so
 * install's fields are accepted here (and ignored).
 */
export const UninstallInput = withDefaults(
  z.strictObject({
    ...release,
    ...settings,
    ...health,
    /** Leave /etc/distribution/config.yml in place. */
    keep_config: z.optional(z.boolean()),
  }),
);
