/**
 * The containerd releases this task service knows: what
 * get-available-versions lists and check-updates compares with. `install`
 * and `upgrade` accept any other x.y.z too, if the mirror has it.
 */
export const VERSIONS = ['1.6.20', '1.7.24'] as const;

export const LATEST: string = VERSIONS[VERSIONS.length - 1]!;

/** Where the releases are downloaded from unless `mirror` says otherwise. */
export const DEFAULT_MIRROR = 'https://github.com/containerd/containerd/releases/download';

export const ARCHES = ['amd64', 'arm64'] as const;
export type Arch = (typeof ARCHES)[number];
