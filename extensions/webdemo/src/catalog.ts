/**
 * The versions webdemo can install. A "version" here is only what the page
 * shows (and the unit's WEBDEMO_VERSION), so the catalogue is fixed: there is
 * nothing to download.
 */
export const VERSIONS = ['1.0.0', '1.1.0', '1.2.0'] as const;

export type Version = (typeof VERSIONS)[number];

export const LATEST: Version = VERSIONS[VERSIONS.length - 1]!;

export function isKnownVersion(version: string): version is Version {
  return (VERSIONS as readonly string[]).includes(version);
}
