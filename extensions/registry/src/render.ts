import Mustache from 'mustache';
import configTemplate from '../templates/config.yml.mustache';
import unitTemplate from '../templates/registry.service.mustache';
import { BIN_DIR, BINARY, CONFIG_FILE } from './layout.js';
import type { Settings } from './receipt.js';

/** Neither file is HTML: values go in as they are (the schemas only let through plain addresses and paths). */
const verbatim = { escape: (text: string) => text };

/** `host:port` as the registry's `http.addr` takes it (an IPv6 address in brackets). */
export function listenAddress(settings: Settings): string {
  return `${settings.address.includes(':') ? `[${settings.address}]` : settings.address}:${settings.port}`;
}

/** config.yml, from templates/config.yml.mustache. */
export function renderConfig(settings: Settings): string {
  return Mustache.render(configTemplate, { storage_path: settings.storage_path, listen: listenAddress(settings) }, undefined, verbatim);
}

/** The unit, from templates/registry.service.mustache. */
export function renderUnit(version: string, settings: Settings): string {
  return Mustache.render(unitTemplate, { version, binary: `${BIN_DIR}/${BINARY}`, config: CONFIG_FILE, listen: listenAddress(settings) }, undefined, verbatim);
}
