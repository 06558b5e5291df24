/**
 * `npm run target -- up NAME PORT` / `down NAME` / `root`: the test targets
 * by hand (CI calls `root` once so the build is not inside a test's time).
 */
import { downTarget, ensureRoot, targetsUnavailable, upTarget } from './systemd-target.ts';

const [command, name = 'manual', port = '2222'] = process.argv.slice(2);
const log = (line: string) => console.error(line);
const why = await targetsUnavailable();
if (why !== undefined) {
  console.error(`targets unavailable: ${why}`);
  process.exit(1);
}
if (command === 'root') console.log(await ensureRoot(log));
else if (command === 'up') {
  const target = await upTarget(name, Number(port), log);
  console.log(`ssh -i ${target.identity} -o UserKnownHostsFile=${target.knownHosts} -p ${target.port} root@127.0.0.1`);
} else if (command === 'down') await downTarget(name);
else {
  console.error('usage: target root | up NAME PORT | down NAME');
  process.exit(2);
}
