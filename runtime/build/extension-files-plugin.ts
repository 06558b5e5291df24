import { realpathSync } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Loader, Plugin } from 'esbuild';
import { packageRoot } from '../package-root.js';

/**
 * Every file a build reads goes through here. Building a stranger's
 * extension must not read the operator's files: `import key from
 * '/home/op/.ssh/id_ed25519' with { type: 'text' }` would bundle the key. A
 * file is read only when, after resolving symlinks, it is a regular file
 * (a FIFO would hang the build) under:
 *
 * - the extension's own directory;
 * - a `node_modules` directory of the extension or of any directory above it
 *   (where Node's resolution looks; also hoisted workspace installs);
 * - prov's own SDK and its node_modules (for `prov/sdk` and zod).
 *
 * Code is read here rather than by esbuild so that esbuild never follows a
 * `sourceMappingURL` (an input source map can name any file, whose content
 * esbuild would copy into the output map), and so that a glob import
 * (`import(\`../../etc/${x}\`)`, which esbuild expands by walking that
 * directory) cannot start outside. Files under `templates/` load as text.
 */
export function extensionFilesPlugin(extensionDir: string): Plugin {
  return {
    name: 'prov-extension-files',
    setup(build) {
      const roots = readableRoots(extensionDir).then((readable) => ({ ...readable, templates: path.join(readable.dir, 'templates') }));
      build.onLoad({ filter: checkedFilesFilter(extensionDir) }, async (args) => {
        const { templates, allowed } = await roots;
        let real: string;
        try {
          real = await realpath(args.path);
        } catch {
          return undefined; // esbuild reports the missing file itself
        }
        if (!allowed.some((root) => isInside(real, root))) {
          return refuse(`"${args.path}" is outside the extension${real === args.path ? '' : ` (it leads to ${real})`}: a build reads only the extension's own files and its node_modules`);
        }
        if (!(await stat(real)).isFile()) return refuse(`"${args.path}" is not a regular file`);
        if (isInside(real, templates)) return { contents: await readFile(real, 'utf8'), loader: 'text' };
        const loader = CODE_LOADERS[path.extname(real)];
        if (loader === undefined) return undefined;
        const contents = (await readFile(real, 'utf8')).replace(SOURCE_MAP_COMMENT, '');
        const outside = globPrefixes(contents)
          .map((prefix) => path.resolve(path.dirname(real), prefix))
          .find((dir) => !allowed.some((root) => isInside(dir, root) || dir === root));
        if (outside !== undefined) return refuse(`a computed import() or require() in "${args.path}" would search ${outside}, outside the extension`);
        return { contents, loader };
      });
    },
  };
}

/**
 * esbuild's resolver reads every `package.json` on its own, past any plugin:
 * before a build, each one inside the extension must be a regular file that
 * stays inside the allowed roots (a FIFO would hang the build; a symlink out
 * would put another file's first line into an error message).
 */
export async function checkPackageManifests(extensionDir: string): Promise<string[]> {
  const { dir, allowed } = await readableRoots(extensionDir);
  const problems: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name === 'package.json') {
        const real = await realpath(full).catch(() => full);
        if (!allowed.some((root) => isInside(real, root))) problems.push(`${path.relative(dir, full)} leads outside the extension (to ${real})`);
        else if (!(await stat(real)).isFile()) problems.push(`${path.relative(dir, full)} is not a regular file`);
      }
    }
  };
  await walk(dir);
  return problems;
}

const CODE_LOADERS: Record<string, Loader> = {
  '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx',
  '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx',
  '.css': 'css',
};

/** `//# sourceMappingURL=…` and `/*# sourceMappingURL=… *\/` comments. */
const SOURCE_MAP_COMMENT = /\/\/[#@]\s*sourceMappingURL=[^\n]*|\/\*[#@]\s*sourceMappingURL=[\s\S]*?\*\//g;

// Comments and extra parentheses may sit between `import(` and the path, as in import( /* note */ ( `../${x}` ) ).
const GAP = String.raw`(?:\s|\/\*[\s\S]*?\*\/|\/\/[^\n]*\n|\()*`;
const COMPUTED_IMPORT = new RegExp(String.raw`\b(?:import|require)\s*\(${GAP}(?:\`([^\`$]*)\$\{|(['"])([^'"\n]*)\2${GAP}\+)`, 'g');

/** The static part of `import(\`dir/${x}\`)` and `require('dir/' + x)`: where esbuild would search. */
function globPrefixes(code: string): string[] {
  const prefixes: string[] = [];
  for (const match of code.matchAll(COMPUTED_IMPORT)) {
    const prefix = match[1] ?? match[3] ?? '';
    if (prefix.startsWith('./') || prefix.startsWith('../') || prefix.startsWith('/')) prefixes.push(prefix);
  }
  return prefixes;
}

function refuse(text: string) {
  return { errors: [{ text, notes: [{ text: 'Move the file into the extension, or read it at run time with ctx.fs under an fs_read grant.' }] }] };
}

/** The extension's real directory, and every directory a build may read below (see the plugin's comment). */
async function readableRoots(extensionDir: string): Promise<{ dir: string; allowed: string[] }> {
  const dir = await realpath(extensionDir);
  const nodeModules = ancestorsOf(dir).map((ancestor) => path.join(ancestor, 'node_modules'));
  return { dir, allowed: [dir, ...nodeModules, ...provRoots()] };
}

/** prov's own installed files (its SDK in dist/, zod in node_modules/), links resolved. */
function provRoots(): string[] {
  const root = realpathSync(packageRoot());
  return [path.join(root, 'dist'), path.join(root, 'node_modules')];
}

/**
 * Which files go through the check: every one except prov's own SDK and
 * zod, which esbuild reads itself. Each file the plugin loads costs a round
 * trip to esbuild's service, and prov's are a hundred of an extension's
 * hundred and ten: a dev-loop rebuild went from ~130 ms to a few. prov's
 * installation is the operator's, as trusted as prov's code. An extension
 * that itself lives under prov's directories gets no shortcut.
 */
export function checkedFilesFilter(extensionDir: string): RegExp {
  const trusted = provRoots();
  const dir = path.resolve(extensionDir);
  let real = dir;
  try {
    real = realpathSync(dir);
  } catch {
    // a missing directory is reported by the build itself
  }
  if (trusted.some((root) => isInside(real, root) || isInside(dir, root))) return /.*/;
  return new RegExp(notStartingWith(trusted.map((root) => `${root}${path.sep}`)));
}

/**
 * A regular expression (in the RE2 syntax esbuild's filters use, which has
 * no lookahead) that matches exactly the strings starting with none of
 * `prefixes`: built from their trie, each node allowing the string to end
 * there, or to go on with a character that leaves every prefix.
 */
export function notStartingWith(prefixes: readonly string[]): string {
  interface Node { children: Map<string, Node>; end: boolean }
  const root: Node = { children: new Map(), end: false };
  for (const prefix of prefixes) {
    let node = root;
    for (const char of prefix) {
      let next = node.children.get(char);
      if (next === undefined) node.children.set(char, (next = { children: new Map(), end: false }));
      node = next;
    }
    node.end = true;
  }
  // ASCII punctuation as \xHH (the same in RE2 and JavaScript); letters, digits and non-ASCII as they are.
  const escape = (char: string) => (/[A-Za-z0-9_]/.test(char) || char.codePointAt(0)! > 0x7f ? char : `\\x${char.codePointAt(0)!.toString(16).padStart(2, '0')}`);
  const build = (node: Node): string | undefined => {
    if (node.end) return undefined; // a whole prefix: nothing from here on matches
    const chars = [...node.children.keys()];
    const alternatives = ['$', `[^${chars.map(escape).join('')}][\\s\\S]*`];
    for (const [char, child] of node.children) {
      const rest = build(child);
      if (rest !== undefined) alternatives.push(`${escape(char)}${rest}`);
    }
    return `(?:${alternatives.join('|')})`;
  };
  return `^${build(root) ?? '$.'}`;
}

function isInside(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

function ancestorsOf(dir: string): string[] {
  const dirs: string[] = [];
  for (let current = dir; ; current = path.dirname(current)) {
    dirs.push(current);
    if (path.dirname(current) === current) return dirs;
  }
}
