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

/** The audit log: one JSON line per gated call. */
export function auditLogFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(provHome(env), 'audit', 'audit.jsonl');
}

/** The operator's default policy file. */
export function defaultPolicyFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(provHome(env), 'policy.toml');
}

/** The operator's secrets file (mode 0600); PROV_SECRETS_FILE names another. */
export function secretsFile(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env['PROV_SECRETS_FILE'];
  return configured !== undefined && configured !== '' ? path.resolve(configured) : path.join(provHome(env), 'secrets.toml');
}
