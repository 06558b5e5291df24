import type { ConfigValidation } from 'prov/sdk';
import { PLANS, plansIn, ZONES } from './catalog.js';
import type { ServerConfig } from './schemas.js';

/** Checks a server config against the catalogue: what the schema alone cannot know. */
export function validateServerConfig(config: ServerConfig): ConfigValidation {
  const errors: string[] = [];
  const warnings: string[] = [];
  const plan = PLANS.find((candidate) => candidate.name === config.plan);
  const zone = ZONES.find((candidate) => candidate.name === config.zone);
  if (plan === undefined) errors.push(`Unknown plan "${config.plan}"; plans: ${PLANS.map((p) => p.name).join(', ')}`);
  if (zone === undefined) errors.push(`Unknown zone "${config.zone}"; zones: ${ZONES.map((z) => z.name).join(', ')}`);
  if (plan !== undefined && zone !== undefined && !plansIn(zone.name).includes(plan.name)) {
    errors.push(`Plan "${plan.name}" is not sold in ${zone.name}; there: ${plansIn(zone.name).join(', ')}`);
  }
  if (config.ssh_keys.length === 0) warnings.push('No ssh_keys: the server will only be reachable with the root password Hetzner e-mails');
  for (const rule of config.firewall_rules) {
    if (rule.action === 'deny') warnings.push(`Firewall rule ${rule.direction} ${rule.protocol} ${rule.port ?? '*'}: Hetzner firewalls drop what is not allowed, so "deny" rules are implied`);
    if (rule.protocol === 'icmp' && rule.port !== undefined) errors.push('Firewall rule: icmp takes no port');
  }
  if (config.storage?.size !== undefined && plan !== undefined && config.storage.size < plan.disk_gb) {
    warnings.push(`storage.size ${config.storage.size} GB is below the plan's ${plan.disk_gb} GB disk; the plan's disk is used`);
  }
  return { valid: errors.length === 0, errors, warnings };
}
