/** Where the registry lives on a server. Each path is in metadata.toml's remote_read / remote_write. */
export const UNIT = 'registry.service';
export const UNIT_FILE = '/etc/systemd/system/registry.service';
/** The registry's own default config path since distribution 3 (2.x images used /etc/docker/registry). */
export const CONFIG_DIR = '/etc/distribution';
export const CONFIG_FILE = `${CONFIG_DIR}/config.yml`;
/** The release tarball holds `registry` at its top: it unpacks straight into BIN_DIR. */
export const BIN_DIR = '/usr/local/bin';
export const BINARY = 'registry';
/** The task service's own state: what it installed (the receipt) and where it downloads to. */
export const STATE_DIR = '/var/lib/prov-registry';
export const RECEIPT_FILE = `${STATE_DIR}/release.json`;
export const DOWNLOAD_DIR = `${STATE_DIR}/download`;

export const CURL = '/usr/bin/curl';
export const SHA256SUM = '/usr/bin/sha256sum';
export const TAR = '/usr/bin/tar';

export const DEFAULT_PORT = 5000;
/** Loopback by default: the registry has no auth configured, so serving the network is the operator's choice (`address`). */
export const DEFAULT_ADDRESS = '127.0.0.1';
export const DEFAULT_STORAGE_PATH = '/var/lib/registry';

/** How long install, configure, upgrade and restart wait for `/v2/` to answer. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 30_000;
