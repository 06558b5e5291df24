import type { PermissionKey, PermissionSet } from './permission-keys.js';

/**
 * What a gated call checks against: the effective grant (manifest ∩
 * operator) and, to word a denial, what the manifest asked for.
 */
export interface GrantView {
  /** The manifest's `[permissions]`, normalised. */
  readonly requested: PermissionSet;
  /** What the extension may actually reach. */
  readonly granted: PermissionSet;
  /**
   * What the operator granted (policy, flags, prompt), normalised. fs checks
   * a path against the real paths of both sides' roots, so a manifest root
   * that is a link cannot lead out of the operator's root.
   */
  readonly operator?: PermissionSet;
  /** The extension's directory or registered name, for hints (`prov grant <dir>`). */
  readonly source: string;
  /** The operator's home directory: `~/` in a path means it (the sandbox host has no HOME). */
  readonly home: string;
  /**
   * prov's own state ($PROV_HOME, the secrets and policy files), links
   * resolved: never reachable through fs, whatever the grant (granting `~`
   * must not hand out the secrets file or the audit log).
   */
  readonly reserved?: readonly string[];
}

export function entries(set: PermissionSet, key: PermissionKey): readonly string[] {
  return set[key] ?? [];
}

/** A grant view that grants nothing (tests, benchmarks, isolates that only log). */
export function emptyGrant(source = '.', home = '/nonexistent'): GrantView {
  return { requested: {}, granted: {}, source, home };
}
