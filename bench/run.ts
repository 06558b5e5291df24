/**
 * Entry of `npm run bench` (Node runs it with type stripping).
 *
 * The bench's modules import each other as `./x.js`, like the rest of the
 * repository, so that `npm run typecheck` (which covers bench/) accepts them
 * without allowImportingTsExtensions. Node does not map `.js` to `.ts` by
 * itself: this hook does, for files inside bench/ only, and must be in place
 * before any of them is loaded, hence the dynamic import below.
 */
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

const benchDir = new URL('./', import.meta.url).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.startsWith(benchDir)) {
      const candidate = new URL(`${specifier.slice(0, -'.js'.length)}.ts`, context.parentURL);
      if (candidate.href.startsWith(benchDir) && existsSync(fileURLToPath(candidate))) {
        return nextResolve(candidate.href, context);
      }
    }
    return nextResolve(specifier, context);
  },
});

// `--only dev-loop` (npm run bench:dev), `--only cluster-deploy` (npm run bench:cluster): that figure alone.
const only = process.argv.indexOf('--only');
if (only !== -1 && process.argv[only + 1] === 'dev-loop') {
  const { measureDevLoop, devLoopLines } = await import('./dev-loop.js');
  console.log(devLoopLines(await measureDevLoop()).join('\n'));
} else if (only !== -1 && process.argv[only + 1] === 'cluster-deploy') {
  const { measureClusterDeploy, clusterDeployLines, CLUSTER_ROUNDS } = await import('./cluster-deploy.js');
  console.log(clusterDeployLines(await measureClusterDeploy(CLUSTER_ROUNDS)).join('\n'));
} else {
  await import('./suite.js');
}
