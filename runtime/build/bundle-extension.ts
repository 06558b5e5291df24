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
 * The esbuild options of an extension's bundle: one script for the sandbox
 * with an external source map, every file read through the extension-files
 * plugin. Shared by one-off builds and the dev loop's incremental context.
 */
export function extensionBuildOptions(extensionDir: string): esbuild.BuildOptions & { write: false } {
  const dir = path.resolve(extensionDir);
  return {
    absWorkingDir: dir,
    entryPoints: [path.join(dir, ENTRY_POINT)],
    outfile: bundleOutfile(dir),
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
  };
}

/** What must hold before esbuild runs: an entry point, and package.json files it may read. */
export async function checkBuildInputs(extensionDir: string, name: string): Promise<void> {
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
}

/** esbuild's failure as one BuildFailed error listing every error with a code frame; anything else unchanged. */
export function buildFailure(error: unknown, extensionDir: string, name: string): unknown {
  const failure = error as esbuild.BuildFailure;
  if (!Array.isArray(failure?.errors)) return error;
  const dir = path.resolve(extensionDir);
  const count = failure.errors.length;
  return new ProvError(
    'BuildFailed',
    `Build of ${name} failed with ${count} error${count === 1 ? '' : 's'}:\n${failure.errors.map((message) => formatBuildMessage(message, dir)).join('\n\n')}`,
    {
      hint: 'Fix the code at the positions shown; "prov dev" rebuilds on every save.',
      details: { errors: failure.errors.map((message) => buildMessageDetails(message, dir)) },
    },
  );
}

/** esbuild's output files as the bundle a sandbox loads. */
export function bundleFromOutput(outputFiles: readonly esbuild.OutputFile[], extensionDir: string, name: string): ExtensionBundle {
  const dir = path.resolve(extensionDir);
  const outfile = bundleOutfile(dir);
  const code = outputFiles.find((file) => file.path.endsWith('.js'))!.text;
  const sourceMapJson = outputFiles.find((file) => file.path.endsWith('.map'))!.text;
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

/**
 * Bundles `<dir>/src/index.ts` with its npm dependencies and templates into
 * one script for the sandbox, with a source map. Build errors become one
 * BuildFailed error listing every esbuild error with a code frame.
 */
export async function bundleExtension(extensionDir: string, name: string): Promise<ExtensionBundle> {
  await checkBuildInputs(extensionDir, name);
  let result: esbuild.BuildResult<{ write: false }>;
  try {
    result = await esbuild.build(extensionBuildOptions(extensionDir));
  } catch (error) {
    throw buildFailure(error, extensionDir, name);
  }
  return bundleFromOutput(result.outputFiles, extensionDir, name);
}
