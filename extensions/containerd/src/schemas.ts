import * as z from 'prov/sdk/zod';
import { ARCHES } from './catalog.js';

const Version = z.string().check(z.regex(/^\d+\.\d+\.\d+$/, 'must be a release version such as 1.7.24 (no "v")'));
/** An http(s) URL with nothing a shell, TOML or a unit file would read specially. */
const Url = z.string().check(z.regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d+)?(\/[A-Za-z0-9._~%/-]*)?$/, 'must be an http:// or https:// URL'));
const Sha256 = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'));
/** A registry host as images name it: `docker.io`, `registry.example.com:5000`. */
const RegistryHost = z.string().check(z.regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'must be a registry host such as docker.io or host:5000'));
const HealthTimeout = z.int().check(z.gte(0, 'must not be negative'), z.lte(300_000, 'must be at most 300000 (5 minutes)'));

const release = {
  /** Default: the installed version (install), the latest known (upgrade). */
  version: z.optional(Version),
  /** The releases base, `…/releases/download`. Default: the installed one, else GitHub's. */
  mirror: z.optional(Url),
  /** The tarball's expected sha256. Default: the mirror's `<tarball>.sha256sum`. */
  sha256: z.optional(Sha256),
  arch: z.optional(z.enum(ARCHES)),
};
const settings = {
  /** Registry host → mirror endpoints, written into config.toml. Default: the installed ones, else none. */
  registry_mirrors: z.optional(z.record(RegistryHost, z.array(Url).check(z.minLength(1, 'needs at least one endpoint')))),
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
    /** Leave /etc/containerd/config.toml in place. */
    keep_config: z.optional(z.boolean()),
  }),
);
