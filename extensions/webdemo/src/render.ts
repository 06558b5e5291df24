import Mustache from 'mustache';
import page from '../templates/index.html.mustache';
import unit from '../templates/webdemo.service.mustache';
import type { Version } from './catalog.js';

export interface WebdemoConfig {
  port: number;
  version: Version;
}

/** The unit file, from templates/webdemo.service.mustache. Values are schema-checked (a port, a catalogue version). */
export function renderUnit(config: WebdemoConfig): string {
  // A unit file is not HTML: no HTML escaping.
  return Mustache.render(unit, config, undefined, { escape: (text: string) => text });
}

/** The page, from templates/index.html.mustache (HTML-escaped as usual). */
export function renderPage(config: WebdemoConfig): string {
  return Mustache.render(page, config);
}

/** The port and version a unit file rendered by renderUnit was made with, or null if it is not one of ours. */
export function parseUnit(text: string): { port: number; version: string } | null {
  const port = /^Environment=WEBDEMO_PORT=(\d+)$/m.exec(text)?.[1];
  const version = /^Environment=WEBDEMO_VERSION=(\S+)$/m.exec(text)?.[1];
  if (port === undefined || version === undefined) return null;
  return { port: Number(port), version };
}

/** True when a page served by curl is webdemo's page for `version`. */
export function pageShows(body: string, version: string): boolean {
  return body.includes(`<meta name="webdemo-version" content="${version}">`);
}
