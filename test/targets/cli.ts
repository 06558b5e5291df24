/**
 * `npm run target -- up NAME PORT` / `up NAME veth` / `down NAME…` / `prune
 * [--after PID]` / `root`: the test targets by hand (CI calls `root` once so
 * the build is not inside a test's time). `prune --after PID` is also what a
 * process that owned targets leaves running when it ends (owned-targets.ts).
 */
import { alive } from './target-process.ts';
import { pruneTargets } from './prune-targets.ts';
import { downTarget, ensureRoot, targetsUnavailable, upTarget } from './systemd-target.ts';

const [command, ...args] = process.argv.slice(2);
const log = (line: string) => console.error(line);
const why = await targetsUnavailable();
if (why !== undefined) {
  console.error(`targets unavailable: ${why}`);
  process.exit(1);
}
if (command === 'root') console.log(await ensureRoot(log));
else if (command === 'up') {
  const [name = 'manual', port = '2222'] = args;
  const target = port === 'veth' ? await upTarget(name, { network: { mode: 'veth' }, log }) : await upTarget(name, Number(port), log);
  console.log(`ssh -i ${target.identity} -o UserKnownHostsFile=${target.knownHosts} -p ${target.port} root@${target.host}`);
} else if (command === 'down') {
  for (const name of args.length === 0 ? ['manual'] : args) await downTarget(name);
} else if (command === 'prune') {
  const after = args[0] === '--after' ? Number(args[1]) : undefined;
  while (after !== undefined && alive(after)) await new Promise((resolve) => setTimeout(resolve, 200));
  const pruned = await pruneTargets(log);
  if (pruned.length > 0) console.log(`pruned: ${pruned.join(' ')}`);
} else {
  console.error('usage: target root | up NAME PORT | up NAME veth | down NAME… | prune [--after PID]');
  process.exit(2);
}
