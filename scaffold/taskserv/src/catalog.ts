/**
 * The versions this task service can install, oldest first. A real one
 * would list its releases (for instance from a release API with ctx.http,
 * which needs an http permission); a fixed list keeps get-available-versions
 * and check-updates working without a grant.
 */
export const VERSIONS = ['1.0.0', '1.1.0', '1.2.0'] as const;

export type Version = (typeof VERSIONS)[number];

export const LATEST: Version = VERSIONS[VERSIONS.length - 1]!;

export function isKnownVersion(version: string): version is Version {
  return (VERSIONS as readonly string[]).includes(version);
}

/** Compares x.y.z versions numerically (missing or non-numeric parts count as 0). */
export function compareVersions(a: string, b: string): number {
  const parts = (version: string) => version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const [left, right] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
