import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { parsePlainJson, toPlainData, type PlainValue } from '../data/plain-data.js';
import { ProvError } from '../errors/index.js';

/** `--input JSON`: the operation's input as JSON text. */
export function parseInputJson(text: string): PlainValue {
  try {
    return parsePlainJson(text);
  } catch (error) {
    throw new ProvError('InvalidJson', `--input is not valid JSON: ${(error as Error).message}`, {
      hint: `Quote the JSON for your shell, e.g. --input '{"hostname":"web-1"}'.`,
      details: { input: text.length > 200 ? `${text.slice(0, 200)}…` : text },
    });
  }
}

/** `--config FILE`: the input from a .json or .toml file. */
export async function readConfigFile(file: string): Promise<PlainValue> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch {
    throw new ProvError('FileNotFound', `Cannot read the config file ${absolute}`, {
      hint: 'Give --config the path of a .json or .toml file.',
      details: { file: absolute },
    });
  }
  if (absolute.endsWith('.toml')) {
    try {
      return toPlainData(parseToml(text));
    } catch (error) {
      const where = error instanceof TomlError ? `:${error.line}:${error.column}` : '';
      const reason = (error as Error).message.split('\n')[0];
      throw new ProvError('InvalidConfig', `${absolute}${where}: ${reason}`, {
        hint: 'Fix the TOML at that position.',
        details: { file: absolute },
      });
    }
  }
  try {
    return parsePlainJson(text);
  } catch (error) {
    throw new ProvError('InvalidConfig', `${absolute} is not valid JSON: ${(error as Error).message}`, {
      hint: 'Config files are JSON, or TOML when the name ends in .toml.',
      details: { file: absolute },
    });
  }
}
