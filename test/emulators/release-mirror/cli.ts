/**
 * `npm run artifacts`: builds the release mirror's files (CI runs it once,
 * so the downloads are not inside a test's time).
 * `npm run artifacts -- serve [PORT]`: serves them by hand.
 */
import { ensureArtifacts } from './artifact-cache.ts';
import { startReleaseMirror } from './mirror-server.ts';

const [command = 'build', port = '0'] = process.argv.slice(2);
const log = (line: string) => console.error(line);
if (command === 'build') {
  const started = Date.now();
  console.log(await ensureArtifacts(log));
  console.error(`release artifacts ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} else if (command === 'serve') {
  const mirror = await startReleaseMirror({ port: Number(port), log });
  console.log(`release mirror on ${mirror.origin}: containerd mirror ${mirror.mirrorFor('containerd')}, registry mirror ${mirror.mirrorFor('registry')}`);
} else {
  console.error('usage: artifacts [build] | serve [PORT]');
  process.exit(2);
}
