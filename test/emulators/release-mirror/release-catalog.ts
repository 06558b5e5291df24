/**
 * What the release mirror serves: real containerd and Docker distribution
 * registry binaries, taken from Debian's packages (this machine reaches
 * Debian's archive, not GitHub) and laid out as the upstream projects lay out
 * their GitHub release downloads. Two versions of each, so that an upgrade
 * installs other bits: bookworm's and trixie's builds (both need only
 * glibc >= 2.34, so they run on a bookworm target).
 *
 * Each package is pinned by its archive path and sha256 (from the suites'
 * Packages indexes): a download that does not match is refused.
 */

export const DEBIAN_ARCHIVE = 'http://deb.debian.org/debian';

export type Project = 'containerd' | 'registry';

export interface DebianPackage {
  /** Path under the archive, as in the Packages index's `Filename`. */
  path: string;
  sha256: string;
  /** The Debian version, e.g. `1.7.24~ds1-6+deb13u1`. */
  debianVersion: string;
}

export interface ReleaseArtifact {
  project: Project;
  /** The GitHub repository whose `releases/download/v<version>/` the files mirror. */
  repository: string;
  /** The upstream version, as the release tag (`v` + this) names it. */
  version: string;
  deb: DebianPackage;
  /** The release tarball's name, as upstream names it. */
  tarball: string;
  /** The checksum file beside it: `<sha256>  <tarball>`, as `sha256sum` prints it. */
  checksumFile: string;
  /** Files taken from the package (path inside the .deb) and where each goes in the tarball. */
  members: ReadonlyArray<{ from: string; to: string }>;
}

function containerd(version: string, deb: DebianPackage): ReleaseArtifact {
  const tarball = `containerd-${version}-linux-amd64.tar.gz`;
  // Upstream's tarball: bin/containerd, bin/ctr and the shims (Debian ships no containerd-stress).
  const binaries = ['containerd', 'containerd-shim', 'containerd-shim-runc-v1', 'containerd-shim-runc-v2', 'ctr'];
  return {
    project: 'containerd',
    repository: 'containerd/containerd',
    version,
    deb,
    tarball,
    checksumFile: `${tarball}.sha256sum`,
    members: binaries.map((binary) => ({ from: `usr/bin/${binary}`, to: `bin/${binary}` })),
  };
}

function registry(version: string, deb: DebianPackage): ReleaseArtifact {
  const tarball = `registry_${version}_linux_amd64.tar.gz`;
  // Upstream's tarball holds the binary `registry` at its top; Debian calls it docker-registry.
  return {
    project: 'registry',
    repository: 'distribution/distribution',
    version,
    deb,
    tarball,
    checksumFile: `${tarball}.sha256`,
    members: [{ from: 'usr/bin/docker-registry', to: 'registry' }],
  };
}

export const RELEASES: readonly ReleaseArtifact[] = [
  containerd('1.6.20', {
    path: 'pool/main/c/containerd/containerd_1.6.20~ds1-1+deb12u3_amd64.deb',
    sha256: '8669d264eeb0fcdb4a0b1ba436ab88ec5dafde4a66e1278ec279d830db4c2216',
    debianVersion: '1.6.20~ds1-1+deb12u3',
  }),
  containerd('1.7.24', {
    path: 'pool/main/c/containerd/containerd_1.7.24~ds1-6+deb13u1_amd64.deb',
    sha256: 'ed708deb96fe476a3bce4efa5c0538dfbcf717ab9a7c7944ba7260342c25899c',
    debianVersion: '1.7.24~ds1-6+deb13u1',
  }),
  registry('2.8.2', {
    path: 'pool/main/d/docker-registry/docker-registry_2.8.2+ds1-1_amd64.deb',
    sha256: 'a9bd06c0e006854608f8469b4371743f40604ad90975532bb3b7ceeb72fe2913',
    debianVersion: '2.8.2+ds1-1',
  }),
  registry('2.8.3', {
    path: 'pool/main/d/docker-registry/docker-registry_2.8.3+ds1-2+b8_amd64.deb',
    sha256: 'f0577a2581fbf090716d8bd57f14d0b25a25eba6c87c3a8c252ddbf1a6bd0470',
    debianVersion: '2.8.3+ds1-2+b8',
  }),
];

/** The path of a release file under the mirror's root, as under https://github.com. */
export function releasePath(artifact: ReleaseArtifact, file: string): string {
  return `/${artifact.repository}/releases/download/v${artifact.version}/${file}`;
}

/** The releases base a task service's `mirror` input names: `<origin>/<owner>/<repo>/releases/download`. */
export function releasesBase(project: Project): string {
  const artifact = RELEASES.find((candidate) => candidate.project === project)!;
  return `/${artifact.repository}/releases/download`;
}
