import { readFileSync, statSync } from 'node:fs';
import { parse, TomlError } from 'smol-toml';
import { toPlainData } from '../../runtime/data/plain-data.js';
import { ProvError } from '../../runtime/errors/index.js';
import { secretEnvName } from '../capabilities/secrets/secret-permissions.js';

/**
 * Where the operator's secret values come from. Environment variables and a
 * secrets file today; a KMS or SOPS backend is one more implementation.
 */
export interface SecretSource {
  /** For messages: "the environment", "/home/ada/.prov/secrets.toml". */
  readonly description: string;
  get(name: string): string | undefined;
}

/** `PROV_SECRET_<NAME>`: the name upper-cased, every non-alphanumeric as `_`. */
export class EnvSecretSource implements SecretSource {
  readonly description = 'the environment (PROV_SECRET_<NAME>)';
  constructor(private readonly env: NodeJS.ProcessEnv) {}

  get(name: string): string | undefined {
    return this.env[secretEnvName(name)];
  }
}

/**
 * A TOML file of `"name" = "value"` lines that only its owner can read
 * (mode 0600 or stricter): a file others can read is refused, not used.
 */
export class FileSecretSource implements SecretSource {
  readonly description: string;
  #values: Map<string, string> | undefined;

  constructor(private readonly file: string) {
    this.description = file;
  }

  get(name: string): string | undefined {
    this.#values ??= this.#read();
    return this.#values.get(name);
  }

  #read(): Map<string, string> {
    let mode: number;
    try {
      mode = statSync(this.file).mode;
    } catch {
      return new Map();
    }
    if ((mode & 0o077) !== 0) {
      throw new ProvError('PolicyInvalid', `${this.file} can be read by others (mode ${(mode & 0o777).toString(8)}); prov uses a secrets file only with mode 0600`, {
        hint: `Run: chmod 600 ${this.file}`,
      });
    }
    let raw: unknown;
    try {
      raw = toPlainData(parse(readFileSync(this.file, 'utf8')));
    } catch (error) {
      const where = error instanceof TomlError ? `:${error.line}:${error.column}` : '';
      // The parser's message may quote the file's text, i.e. a secret: only the position is reported.
      throw new ProvError('PolicyInvalid', `${this.file}${where}: not valid TOML`, { hint: 'The secrets file holds lines like "hetzner.token" = "…".' });
    }
    const values = new Map<string, string>();
    for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
      if (typeof value !== 'string') throw new ProvError('PolicyInvalid', `${this.file}: "${name}" must be a string`);
      values.set(name, value);
    }
    return values;
  }
}

/**
 * Values given in code, not read from the operator's environment or files:
 * what `prov/testing` hands an extension under test.
 */
export class MapSecretSource implements SecretSource {
  readonly description = 'the values the test gave';
  readonly #values: ReadonlyMap<string, string>;

  constructor(values: Readonly<Record<string, string>> | ReadonlyMap<string, string>) {
    this.#values = values instanceof Map ? new Map(values) : new Map(Object.entries(values));
  }

  get(name: string): string | undefined {
    return this.#values.get(name);
  }
}

/** Environment first, then the file. */
export class ChainedSecretSource implements SecretSource {
  readonly description: string;
  constructor(private readonly sources: readonly SecretSource[]) {
    this.description = sources.map((source) => source.description).join(', then ');
  }

  get(name: string): string | undefined {
    for (const source of this.sources) {
      const value = source.get(name);
      if (value !== undefined) return value;
    }
    return undefined;
  }
}

/**
 * The values of the secrets granted to one extension. Two granted names that
 * read the same environment variable are a configuration error: one of them
 * would silently get the other's value.
 */
export function resolveSecretValues(names: Iterable<string>, source: SecretSource): Map<string, string> {
  const byVariable = new Map<string, string>();
  const values = new Map<string, string>();
  for (const name of new Set(names)) {
    const variable = secretEnvName(name);
    const other = byVariable.get(variable);
    if (other !== undefined && other !== name) {
      throw new ProvError('PolicyInvalid', `The secrets "${other}" and "${name}" would both be read from ${variable}`, {
        hint: 'Rename one of them in [permissions] so each maps to its own PROV_SECRET_ variable.',
      });
    }
    byVariable.set(variable, name);
    const value = source.get(name);
    if (value !== undefined) values.set(name, value);
  }
  return values;
}
