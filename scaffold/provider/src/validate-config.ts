import type { ConfigValidation } from 'prov/sdk';
import type { ServerConfig } from './schemas.js';

/**
 * What the schema alone cannot check, without calling the API (so it needs
 * no grant). The API still has the last word on plans and zones: create-server
 * reports its answer.
 */
export function validateServerConfig(config: ServerConfig): ConfigValidation {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (config.ssh_keys.length === 0) warnings.push('No ssh_keys: the server will not be reachable over SSH with a key');
  for (const [index, rule] of config.firewall_rules.entries()) {
    const where = `firewall_rules[${index}] (${rule.direction} ${rule.protocol} ${rule.port ?? '*'})`;
    if (rule.protocol === 'icmp' && rule.port !== undefined) errors.push(`${where}: icmp takes no port`);
    if (rule.direction === 'ingress' && rule.destination !== undefined) errors.push(`${where}: an ingress rule has a source, not a destination`);
    if (rule.direction === 'egress' && rule.source !== undefined) errors.push(`${where}: an egress rule has a destination, not a source`);
    if (rule.port?.includes('-')) {
      const [from, to] = rule.port.split('-').map(Number);
      if (from! > to!) errors.push(`${where}: the port range runs backwards`);
    }
    if (rule.port !== undefined && rule.port.split('-').some((port) => Number(port) < 1 || Number(port) > 65535)) errors.push(`${where}: ports are 1–65535`);
  }
  if (config.network?.public_ip === false && config.network.private_network === undefined) {
    warnings.push('network.public_ip is false and no private_network is given: nothing will reach the server');
  }
  return { valid: errors.length === 0, errors, warnings };
}
