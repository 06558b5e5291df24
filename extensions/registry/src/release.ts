import type { Arch } from './catalog.js';

/** One release file set, named as distribution's GitHub releases name them. */
export interface Release {
  version: string;
  arch: Arch;
  /** The releases base (`…/releases/download`), without a trailing slash. */
  mirror: string;
  tarball: string;
  url: string;
  /** `<tarball>.sha256`: `<sha256>  <tarball>`. */
  checksumUrl: string;
}

export function releaseOf(mirror: string, version: string, arch: Arch): Release {
  const base = mirror.replace(/\/+$/, '');
  const tarball = `registry_${version}_linux_${arch}.tar.gz`;
  const url = `${base}/v${version}/${tarball}`;
  return { version, arch, mirror: base, tarball, url, checksumUrl: `${url}.sha256` };
}
