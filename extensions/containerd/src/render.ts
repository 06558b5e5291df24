import Mustache from 'mustache';
import configTemplate from '../templates/config.toml.mustache';
import unitTemplate from '../templates/containerd.service.mustache';
import { BIN_DIR, CONFIG_FILE, SOCKET } from './layout.js';
import type { Settings } from './receipt.js';

/** Neither file is HTML: values go in as they are (the schemas only let through what TOML and a unit can hold). */
const verbatim = { escape: (text: string) => text };

/** A TOML basic string: JSON's quoting is TOML's for these (printable ASCII, schema-checked). */
const tomlString = (text: string) => JSON.stringify(text);

/** config.toml, from templates/config.toml.mustache. Registries in name order, so equal settings render equal text. */
export function renderConfig(settings: Settings): string {
  const mirrors = Object.keys(settings.registry_mirrors)
    .sort()
    .map((host) => ({ host: tomlString(host), endpoints: settings.registry_mirrors[host]!.map(tomlString).join(', ') }));
  return Mustache.render(configTemplate, { socket: SOCKET, mirrors }, undefined, verbatim);
}

/** The unit, from templates/containerd.service.mustache. */
export function renderUnit(version: string): string {
  return Mustache.render(unitTemplate, { version, binary: `${BIN_DIR}/containerd`, config: CONFIG_FILE }, undefined, verbatim);
}
