import os from 'node:os';
import path from 'node:path';

/** `$PROV_HOME`, default `~/.prov`: the registry, inventory, audit log and caches live here. */
export function provHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env['PROV_HOME'];
  return path.resolve(configured !== undefined && configured !== '' ? configured : path.join(os.homedir(), '.prov'));
}

export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(provHome(env), 'cache', 'code');
}
