/**
 * Hetzner labels: string keys `[prefix/]name` and string values, with the
 * Kubernetes-like grammar the API checks (name and value at most 63
 * characters of [A-Za-z0-9._-], alphanumeric at both ends; the prefix a DNS
 * subdomain).
 */
import type { FieldProblem } from './api-error.js';

const NAME = /^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)$/;
const PREFIX = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** The labels given, or `{}` when absent; records a problem (field `labels`) for anything else. */
export function checkLabels(value: unknown, problems: FieldProblem[]): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push({ name: 'labels', messages: ['must be an object'] });
    return {};
  }
  const labels: Record<string, string> = {};
  for (const [key, raw] of Object.entries(value)) {
    const slash = key.lastIndexOf('/');
    const prefix = slash === -1 ? undefined : key.slice(0, slash);
    const name = slash === -1 ? key : key.slice(slash + 1);
    const keyOk = NAME.test(name) && (prefix === undefined || (prefix.length <= 253 && PREFIX.test(prefix)));
    const valueOk = typeof raw === 'string' && (raw === '' || NAME.test(raw));
    if (!keyOk || !valueOk) problems.push({ name: 'labels', messages: [`label ${JSON.stringify(key)} is invalid`] });
    else labels[key] = raw as string;
  }
  return labels;
}
