import type { Arch } from './catalog.js';

/** One release file set, named as containerd's GitHub releases name them. */
export interface Release {
  version: string;
  arch: Arch;
  /** The releases base (`…/releases/download`), without a trailing slash. */
  mirror: string;
  tarball: string;
  url: string;
  /** `<tarball>.sha256sum`: `<sha256>  <tarball>`. */
  checksumUrl: string;
}

export function releaseOf(mirror: string, version: string, arch: Arch): Release {
  const base = mirror.replace(/\/+$/, '');
  const tarball = `containerd-${version}-linux-${arch}.tar.gz`;
  const url = `${base}/v${version}/${tarball}`;
  return { version, arch, mirror: base, tarball, url, checksumUrl: `${url}.sha256sum` };
}
