import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Plugin } from 'esbuild';
import { packageRoot } from '../package-root.js';

/**
 * Building a stranger's extension must not read the operator's files: an
 * `import key from '/home/op/.ssh/id_ed25519' with { type: 'text' }` would
 * bundle the key into the extension. Every file esbuild loads is checked,
 * after resolving symlinks, against what a build legitimately reads:
 *
 * - the extension's own directory;
 * - a `node_modules` directory of the extension or of any directory above it
 *   (where Node's resolution looks; also hoisted workspace installs);
 * - prov's own SDK and its node_modules (for `prov/sdk` and zod).
 */
export function confinePlugin(extensionDir: string): Plugin {
  return {
    name: 'prov-confine',
    setup(build) {
      const allowed = (async () => {
        const dir = await realpath(extensionDir);
        const root = await realpath(packageRoot());
        return { dir, ancestors: ancestorsOf(dir), provDirs: [path.join(root, 'dist'), path.join(root, 'node_modules')] };
      })();
      build.onLoad({ filter: /.*/ }, async (args) => {
        const { dir, ancestors, provDirs } = await allowed;
        let real: string;
        try {
          real = await realpath(args.path);
        } catch {
          return undefined; // esbuild reports the missing file itself
        }
        if (isInside(real, dir) || provDirs.some((root) => isInside(real, root)) || inAncestorNodeModules(real, ancestors)) return undefined;
        return {
          errors: [
            {
              text: `"${args.path}" is outside the extension${real === args.path ? '' : ` (it leads to ${real})`}: a build reads only the extension's own files and its node_modules`,
              notes: [{ text: 'Move the file into the extension, or read it at run time with ctx.fs under an fs_read grant.' }],
            },
          ],
        };
      });
    },
  };
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

/** `<ancestor>/node_modules/<something>`: a package Node's resolution could have found from the extension. */
function inAncestorNodeModules(file: string, ancestors: readonly string[]): boolean {
  return ancestors.some((ancestor) => isInside(file, path.join(ancestor, 'node_modules')));
}
