import path from 'node:path';
import semver from 'semver';

/**
 * The placeholders `prov new` fills in its templates, and nothing else:
 * templates also hold placeholders that are not prov new's — `{{secret:…}}`
 * in a provider's requests, filled by the host at run time, and the
 * `{{port}}`-style fields of a task service's own templates/ — so only these
 * exact tokens are replaced, in one pass (a value is never scanned again).
 */
export interface ScaffoldTokens {
  /** The extension's name, as given: `acme-cloud`. */
  name: string;
  /** For display and messages: `AcmeCloud`. */
  Name: string;
  /** For environment variables: `ACME_CLOUD` (as in `PROV_SECRET_ACME_CLOUD_TOKEN`). */
  NAME: string;
  /** One line; escaped per file format where it lands (see fillScaffoldTokens). */
  description: string;
  /** The prov that made it, for package.json's devDependency: `0.1.0`. */
  provVersion: string;
  /** metadata.toml's `[compatibility] prov`: this prov up to its next major. */
  provRange: string;
}

export function scaffoldTokens(name: string, description: string, provVersion: string): ScaffoldTokens {
  const major = semver.major(provVersion);
  return {
    name,
    Name: name.split('-').filter((part) => part !== '').map((part) => part[0]!.toUpperCase() + part.slice(1)).join(''),
    NAME: name.toUpperCase().replace(/[^A-Z0-9]/g, '_'),
    description,
    provVersion,
    provRange: `>=${provVersion} <${major + 1}.0.0`,
  };
}

const TOKEN = /\{\{(name|Name|NAME|description|provVersion|provRange)\}\}/g;

/**
 * `text` with every scaffold token replaced. Only the description can hold
 * characters that mean something in a file format; in `.json` and `.toml`
 * files it lands inside a double-quoted string, so it is escaped as JSON
 * string content (also a valid TOML basic string, since control characters
 * are refused before this).
 */
export function fillScaffoldTokens(text: string, tokens: ScaffoldTokens, file: string): string {
  const quoted = ['.json', '.toml'].includes(path.extname(file));
  return text.replace(TOKEN, (_placeholder, key: keyof ScaffoldTokens) =>
    key === 'description' && quoted ? JSON.stringify(tokens.description).slice(1, -1) : tokens[key],
  );
}
