// Bundles the code that runs inside isolates (*.guest.ts) into plain scripts
// under dist/guest/, read by runtime/sandbox/guest-scripts.ts.
import * as esbuild from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const guests = { prelude: 'runtime/sandbox/prelude.guest.ts', describe: 'runtime/sandbox/describe.guest.ts' };

await Promise.all(
  Object.entries(guests).map(([name, entry]) =>
    esbuild.build({
      absWorkingDir: root,
      entryPoints: [entry],
      outfile: `dist/guest/${name}.js`,
      bundle: true,
      format: 'iife',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      target: 'es2023',
      minify: true,
      legalComments: 'none',
      logLevel: 'warning',
    }),
  ),
);
