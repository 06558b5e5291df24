/** Where webdemo lives on a server. Each path is in metadata.toml's remote_read and remote_write. */
export const UNIT = 'webdemo.service';
export const UNIT_FILE = '/etc/systemd/system/webdemo.service';
export const PAGE_DIR = '/srv/webdemo';
export const PAGE_FILE = `${PAGE_DIR}/index.html`;
export const CURL = '/usr/bin/curl';
/** servers.upload writes files, not directories, and servers.remove removes files: these make and remove PAGE_DIR. */

export const DEFAULT_PORT = 8080;
/** How long install, configure, upgrade and restart wait for the page to answer. */
export const DEFAULT_HEALTH_TIMEOUT_MS = 20_000;
