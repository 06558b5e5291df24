import { builtinModules } from 'node:module';
import path from 'node:path';
import type { Plugin } from 'esbuild';
import { packageRoot } from '../package-root.js';

const NODE_BUILTINS = new Set(builtinModules);

/**
 * Resolves `prov/sdk` and `prov/sdk/zod` to the running prov's SDK, and `zod`
 * to prov's copy when the extension has none, so an extension in any
 * directory builds without node_modules of its own. Node built-ins are
 * refused with a pointer to `ctx`: there is no Node inside the sandbox.
 */
export function sdkResolvePlugin(): Plugin {
  const root = packageRoot();
  const sdkDir = path.join(root, 'dist', 'host-api', 'sdk');
  return {
    name: 'prov-sdk',
    setup(build) {
      build.onResolve({ filter: /^prov\/sdk(\/zod)?$/ }, (args) => ({
        path: path.join(sdkDir, args.path.endsWith('/zod') ? 'zod.js' : 'index.js'),
      }));
      build.onResolve({ filter: /^zod(\/.*)?$/ }, async (args) => {
        if (args.pluginData === 'prov-fallback') return undefined;
        const own = await build.resolve(args.path, {
          kind: args.kind,
          resolveDir: args.resolveDir,
          pluginData: 'prov-fallback',
        });
        if (own.errors.length === 0) return { path: own.path };
        return build.resolve(args.path, { kind: args.kind, resolveDir: root, pluginData: 'prov-fallback' });
      });
      build.onResolve({ filter: /^(node:)?[a-z_]+(\/[a-z_]+)?$/ }, (args) => {
        const bare = args.path.replace(/^node:/, '');
        if (!NODE_BUILTINS.has(bare)) return undefined;
        return {
          errors: [
            {
              text: `"${args.path}" is a Node.js built-in, and extensions run without Node: there is no ${bare} in the sandbox`,
              notes: [{ text: 'Reach the outside world through ctx (ctx.http, ctx.fs, ctx.servers, …) instead.' }],
            },
          ],
        };
      });
    },
  };
}
