import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { escapeControl } from '../data/control-characters.js';
import { ProvError } from '../errors/index.js';
import { EXTENSION_KINDS, type ExtensionKind } from '../manifest/manifest-schema.js';
import { packageRoot, provVersion } from '../package-root.js';
import { extensionNameProblem, suggestExtensionName } from './extension-name.js';
import { fillScaffoldTokens, scaffoldTokens } from './scaffold-tokens.js';

export interface NewExtensionOptions {
  /** provider, taskserv or cluster; anything else is a Usage error. */
  kind: string;
  name: string;
  /** One line for metadata.toml, package.json and README.md; default: defaultDescription(kind, name). */
  description?: string;
  /** The directory to create (default `./<name>`); it must not exist, or be empty. */
  dir?: string;
}

export interface NewExtensionResult {
  kind: ExtensionKind;
  name: string;
  description: string;
  /** Absolute. */
  dir: string;
  /** Every file written, relative to `dir`, sorted. */
  files: string[];
}

/** The same limit metadata.toml's schema puts on `[extension] description`. */
const MAX_DESCRIPTION = 500;

/** Template files whose name cannot be their real name in the published package (npm drops `.gitignore`). */
const DOTFILE_PREFIX = '_';

/** What a template's description says when none is given. */
export function defaultDescription(kind: ExtensionKind, name: string): string {
  switch (kind) {
    case 'provider':
      return `Servers on the ${name} cloud: create, list, power and delete them; firewalls, plans, zones, pricing`;
    case 'taskserv':
      return `${name} as a systemd service: install, configure, upgrade and health-check it`;
    case 'cluster':
      return `${name}: containerd, BuildKit and an image registry, deployed in dependency order`;
  }
}

/** Where `prov new` finds its templates: scaffold/ at the top of prov's package, shipped with it. */
export function templateDir(kind: ExtensionKind): string {
  return path.join(packageRoot(), 'scaffold', kind);
}

/**
 * Makes a new extension from prov's template for `kind`: the template copied
 * with its placeholders filled in (scaffold-tokens.ts). Everything is
 * written into a temporary sibling directory that is renamed into place at
 * the end, so a failure leaves nothing half-made, and an existing directory
 * with anything in it is never written into.
 */
export async function newExtension(options: NewExtensionOptions): Promise<NewExtensionResult> {
  const kind = checkKind(options.kind);
  checkName(kind, options.name);
  const description = checkDescription(options.description ?? defaultDescription(kind, options.name));
  const dir = path.resolve(options.dir ?? options.name);
  await refuseOccupied(dir);

  const source = templateDir(kind);
  const templateFiles = await listFiles(source);
  const tokens = scaffoldTokens(options.name, description, provVersion());
  const parent = path.dirname(dir);
  await mkdir(parent, { recursive: true });
  const temp = path.join(parent, `.${path.basename(dir)}.prov-new-${randomBytes(6).toString('hex')}`);
  await mkdir(temp);
  const files: string[] = [];
  try {
    for (const file of templateFiles) {
      const target = outputName(file);
      const text = await readFile(path.join(source, file), 'utf8');
      await mkdir(path.dirname(path.join(temp, target)), { recursive: true });
      await writeFile(path.join(temp, target), fillScaffoldTokens(text, tokens, target), { flag: 'wx' });
      files.push(target);
    }
    await moveIntoPlace(temp, dir);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return { kind, name: options.name, description, dir, files: files.sort() };
}

function checkKind(kind: string): ExtensionKind {
  if ((EXTENSION_KINDS as readonly string[]).includes(kind)) return kind as ExtensionKind;
  throw new ProvError('Usage', `Unknown extension kind ${JSON.stringify(kind)}: prov new makes a provider, a taskserv or a cluster`, {
    hint: 'prov new provider|taskserv|cluster NAME',
  });
}

function checkName(kind: ExtensionKind, name: string): void {
  const problem = extensionNameProblem(name);
  if (problem === undefined) return;
  const suggestion = suggestExtensionName(name);
  throw new ProvError('Usage', problem, {
    hint: suggestion === undefined ? `For example: prov new ${kind} acme-cloud` : `Did you mean "${suggestion}"? prov new ${kind} ${suggestion}`,
  });
}

function checkDescription(description: string): string {
  // Control characters and bidi overrides: what escapeControl would show escaped.
  if (escapeControl(description) !== description) {
    throw new ProvError('Usage', 'The description must be one line without control characters or bidirectional overrides', { hint: 'It ends up in metadata.toml as `description = "…"`.' });
  }
  if (description.length > MAX_DESCRIPTION) {
    throw new ProvError('Usage', `The description is ${description.length} characters long; metadata.toml takes at most ${MAX_DESCRIPTION}`, { hint: 'One line for prov list; say more in README.md.' });
  }
  return description;
}

/** A missing directory or an empty one is fine; anything else is refused before any file is written. */
async function refuseOccupied(dir: string): Promise<void> {
  let entries: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw occupied(dir, 'exists and is not a directory');
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (entries.length > 0) throw occupied(dir, 'already exists and is not empty');
}

function occupied(dir: string, what: string): ProvError {
  return new ProvError('Usage', `${dir} ${what}`, {
    hint: 'prov new only creates a new directory (or fills an empty one): choose another with --dir, or another name.',
  });
}

/** rename() replaces an empty directory in one step; one that filled up in the meantime is refused, not merged into. */
async function moveIntoPlace(temp: string, dir: string): Promise<void> {
  try {
    await rename(temp, dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') throw occupied(dir, 'was created while prov new was writing');
    throw error;
  }
}

/** A template's files, relative to it; only regular files, never a node_modules or dist left by a local npm install or build. */
async function listFiles(root: string, below = ''): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(path.join(root, below), { withFileTypes: true })) {
    const relative = path.join(below, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') files.push(...(await listFiles(root, relative)));
    } else if (entry.isFile()) files.push(relative);
  }
  return files;
}

/** `_gitignore` → `.gitignore`: npm leaves dotfiles like .gitignore out of a published package, so templates store them so. */
function outputName(file: string): string {
  const base = path.basename(file);
  return base.startsWith(DOTFILE_PREFIX) ? path.join(path.dirname(file), `.${base.slice(DOTFILE_PREFIX.length)}`) : file;
}
