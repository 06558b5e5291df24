import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { ProvError } from '../errors/index.js';
import { checkPackageManifests, extensionFilesPlugin } from './extension-files-plugin.js';
import { buildMessageDetails, formatBuildMessage } from './format-build-messages.js';
import { sdkResolvePlugin } from './sdk-resolve-plugin.js';
import { StackMapper } from './stack-mapper.js';

/** An extension bundled into one guest script, ready for a sandbox. */
export interface ExtensionBundle {
  /** The guest script; it leaves its module in the global `__prov_extension`. */
  code: string;
  sourceMapJson: string;
  /** The script's name in stack traces. */
  filename: string;
  /** sha256 of `code`, hex. */
  sha256: string;
  stackMapper: StackMapper;
  /** Where `prov build` writes the bundle: `<dir>/dist/extension.js`. */
  outfile: string;
}

export const ENTRY_POINT = path.join('src', 'index.ts');
export const BUNDLE_GLOBAL = '__prov_extension';

/** Where the build writes, and what source-map paths are relative to. */
export function bundleOutfile(extensionDir: string): string {
  return path.join(path.resolve(extensionDir), 'dist', 'extension.js');
}

/**
 * Bundles `<dir>/src/index.ts` with its npm dependencies and templates into
 * one script for the sandbox, with a source map. Build errors become one
 * BuildFailed error listing every esbuild error with a code frame.
 */
export async function bundleExtension(extensionDir: string, name: string): Promise<ExtensionBundle> {
  const dir = path.resolve(extensionDir);
  const entry = path.join(dir, ENTRY_POINT);
  try {
    await access(entry);
  } catch {
    throw new ProvError('BuildFailed', `No entry point: ${entry} does not exist`, {
      hint: 'An extension\'s code starts at src/index.ts, which exports default defineProvider/defineTaskserv/defineCluster.',
      details: { file: ENTRY_POINT },
    });
  }
  const manifests = await checkPackageManifests(dir);
  if (manifests.length > 0) {
    throw new ProvError('BuildFailed', `Build of ${name} refused: ${manifests.join('; ')}`, {
      hint: 'A build reads only regular files inside the extension and its node_modules.',
      details: { errors: manifests.map((text) => ({ text })) },
    });
  }
  const outfile = bundleOutfile(dir);
  let result: esbuild.BuildResult<{ write: false }>;
  try {
    result = await esbuild.build({
      absWorkingDir: dir,
      entryPoints: [entry],
      outfile,
      bundle: true,
      write: false,
      format: 'iife',
      globalName: BUNDLE_GLOBAL,
      platform: 'neutral',
      mainFields: ['module', 'main'],
      conditions: ['import', 'default'],
      target: 'es2023',
      sourcemap: 'external',
      sourcesContent: true,
      minifySyntax: true,
      minifyWhitespace: true,
      legalComments: 'none',
      logLevel: 'silent',
      plugins: [sdkResolvePlugin(), extensionFilesPlugin(dir)],
      // The extension's tsconfig.json is for editors: esbuild must not read it (its "extends" can name any file).
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
    });
  } catch (error) {
    const failure = error as esbuild.BuildFailure;
    if (!Array.isArray(failure.errors)) throw error;
    const count = failure.errors.length;
    throw new ProvError(
      'BuildFailed',
      `Build of ${name} failed with ${count} error${count === 1 ? '' : 's'}:\n${failure.errors
        .map((message) => formatBuildMessage(message, dir))
        .join('\n\n')}`,
      {
        hint: 'Fix the code at the positions shown; "prov dev" rebuilds on every save.',
        details: { errors: failure.errors.map((message) => buildMessageDetails(message, dir)) },
      },
    );
  }
  const code = result.outputFiles.find((file) => file.path.endsWith('.js'))!.text;
  const sourceMapJson = result.outputFiles.find((file) => file.path.endsWith('.map'))!.text;
  const filename = `prov:${name}.js`;
  return {
    code,
    sourceMapJson,
    filename,
    sha256: createHash('sha256').update(code).digest('hex'),
    stackMapper: new StackMapper({ sourceMapJson, filename, mapDir: path.dirname(outfile), extensionDir: dir }),
    outfile,
  };
}
