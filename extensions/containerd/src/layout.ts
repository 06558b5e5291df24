/** Where containerd lives on a server. Each path is in metadata.toml's remote_read / remote_write. */
export const UNIT = 'containerd.service';
export const UNIT_FILE = '/etc/systemd/system/containerd.service';
export const CONFIG_DIR = '/etc/containerd';
export const CONFIG_FILE = `${CONFIG_DIR}/config.toml`;
/** The release unpacks here (`bin/…` inside the tarball), as containerd's own install guide does. */
export const PREFIX = '/usr/local';
export const BIN_DIR = `${PREFIX}/bin`;
/** The task service's own state: what it installed (the receipt) and where it downloads to. */
export const STATE_DIR = '/var/lib/prov-containerd';
export const RECEIPT_FILE = `${STATE_DIR}/release.json`;
export const DOWNLOAD_DIR = `${STATE_DIR}/download`;
export const SOCKET = '/run/containerd/containerd.sock';

export const CURL = '/usr/bin/curl';
export const SHA256SUM = '/usr/bin/sha256sum';
export const TAR = '/usr/bin/tar';
export const CTR = `${BIN_DIR}/ctr`;

/**
 * The binaries a containerd release may hold under `bin/`: only these are
 * unpacked (each is in remote_write, so uninstall can remove it).
 */
export const BINARIES = ['containerd', 'containerd-shim', 'containerd-shim-runc-v1', 'containerd-shim-runc-v2', 'containerd-stress', 'ctr'] as const;
/** A tarball without these is not a containerd release. */
export const REQUIRED_BINARIES = ['containerd', 'ctr'] as const;

/** How long install, configure, upgrade and restart wait for `ctr version` to answer. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 30_000;
