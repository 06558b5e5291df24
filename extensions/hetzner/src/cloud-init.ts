import Mustache from 'mustache';
import template from '../templates/cloud-init.yaml.mustache';
import type { ServerConfig } from './schemas.js';

/** The cloud-init user data a new server boots with, from templates/cloud-init.yaml.mustache. */
export function renderCloudInit(config: ServerConfig): string {
  const labels = Object.entries(config.tags).map(([key, value]) => ({ key, value }));
  // YAML is not HTML: turn off Mustache's HTML escaping; every value was checked by the schema.
  return Mustache.render(template, { ...config, labels }, undefined, { escape: (text: string) => text });
}
