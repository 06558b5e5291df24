/**
 * Where the service lives on a server. Each path is in metadata.toml's
 * remote_read and remote_write; the unit in its systemctl list.
 */
export const SERVICE = '{{name}}';
export const UNIT = '{{name}}.service';
export const UNIT_FILE = '/etc/systemd/system/{{name}}.service';
export const CONFIG_DIR = '/etc/{{name}}';
export const CONFIG_FILE = `${CONFIG_DIR}/config.env`;
export const PROGRAM_DIR = '/usr/local/lib/{{name}}';
export const PROGRAM_FILE = `${PROGRAM_DIR}/server.py`;
/** Runs the health check on the server itself: the service listens on its loopback only. */
export const CURL = '/usr/bin/curl';

export const DEFAULT_PORT = 8080;
export const DEFAULT_LOG_LEVEL = 'info';
/** How long install, configure, upgrade and restart wait for the service to answer. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 20_000;
