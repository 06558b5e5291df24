/**
 * The registry releases this task service knows: what
 * get-available-versions lists and check-updates compares with. `install`
 * and `upgrade` accept any other x.y.z too, if the mirror has it.
 */
export const VERSIONS = ['2.8.2', '2.8.3'] as const;

export const LATEST: string = VERSIONS[VERSIONS.length - 1]!;

/** Where the releases are downloaded from unless `mirror` says otherwise. */
export const DEFAULT_MIRROR = 'https://github.com/distribution/distribution/releases/download';

export const ARCHES = ['amd64', 'arm64'] as const;
export type Arch = (typeof ARCHES)[number];
