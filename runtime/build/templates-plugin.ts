import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plugin } from 'esbuild';

/**
 * Files under the extension's templates/ folder are bundled as strings:
 * `import unit from '../templates/containerd.service'` gives the file's text.
 */
export function templatesPlugin(extensionDir: string): Plugin {
  const templatesDir = path.join(path.resolve(extensionDir), 'templates') + path.sep;
  return {
    name: 'prov-templates',
    setup(build) {
      build.onLoad({ filter: /.*/ }, async (args) => {
        if (!args.path.startsWith(templatesDir)) return undefined;
        return { contents: await readFile(args.path, 'utf8'), loader: 'text' };
      });
    },
  };
}
