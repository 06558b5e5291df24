import { DeploymentRecords, type DeploymentStatus } from './deployment-records.js';

/**
 * What the store records of `cluster`'s last operation, component by
 * component, or undefined when nothing is. A deploy killed halfway reads as
 * `interrupted`, with the component it was installing in `inFlight`, the
 * ones it finished `deployed` and the rest `not-started`.
 */
export function deploymentStatus(cluster: string, env: NodeJS.ProcessEnv = process.env): DeploymentStatus | undefined {
  return DeploymentRecords.read(cluster, env);
}
