import config from '../templates/config.env';
import program from '../templates/server.py';
import unit from '../templates/unit.service';
import { fillTemplate } from './fill-template.js';

/** What the service is configured with; every value was checked by an input schema. */
export interface ServiceConfig {
  version: string;
  port: number;
  log_level: string;
}

/** The three files a deployment consists of, rendered from templates/. */
export interface RenderedFiles {
  config: string;
  program: string;
  unit: string;
}

export function renderFiles(values: ServiceConfig): RenderedFiles {
  const fields = { ...values };
  return { config: fillTemplate(config, fields), program: fillTemplate(program, fields), unit: fillTemplate(unit, fields) };
}

/** The settings a config file rendered by renderFiles was made with, or null if it is not one of ours. */
export function parseConfig(text: string): ServiceConfig | null {
  const field = (name: string) => new RegExp(`^SERVICE_${name}=(\\S+)$`, 'm').exec(text)?.[1];
  const [version, port, logLevel] = [field('VERSION'), field('PORT'), field('LOG_LEVEL')];
  if (version === undefined || port === undefined || !/^\d+$/.test(port) || logLevel === undefined) return null;
  return { version, port: Number(port), log_level: logLevel };
}
