import { z } from 'zod';
import { ProvError } from '../errors/index.js';
import type { ClusterComponentInput } from './cluster-component.js';

const componentSchema = z.object({
  name: z.string().min(1),
  taskserv: z.string().min(1).optional(),
  version: z.string().optional(),
  enabled: z.boolean().optional(),
  dependencies: z.array(z.string()).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  resources: z.object({ replicas: z.number().int().min(0).optional() }).loose().optional(),
}).loose();

/**
 * A cluster's components as its code declared them (`defineCluster({
 * components })`), checked: they crossed from the sandbox as plain data, and
 * the orchestrator trusts nothing of a stranger's extension. Components with
 * `enabled: false` are left out.
 */
export function declaredComponents(cluster: string, declared: unknown): ClusterComponentInput[] {
  const result = z.array(componentSchema).safeParse(declared ?? []);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  components.${issue.path.join('.')}: ${issue.message}`);
    throw new ProvError('ClusterInvalid', `The components of cluster ${cluster} are not valid:\n${lines.join('\n')}`, {
      hint: 'Each component needs a name; taskserv, version and dependencies are strings, config an object (see ComponentSpec in prov/sdk).',
    });
  }
  return result.data
    .filter((component) => component.enabled !== false)
    .map(({ name, taskserv, version, dependencies, config, resources }) => {
      const replicas = resources?.replicas;
      const merged = replicas === undefined || config?.['replicas'] !== undefined ? config : { ...config, replicas };
      return {
        name,
        ...(taskserv === undefined ? {} : { taskserv }),
        ...(version === undefined ? {} : { version }),
        ...(dependencies === undefined ? {} : { dependencies }),
        ...(merged === undefined ? {} : { config: merged }),
      };
    });
}
