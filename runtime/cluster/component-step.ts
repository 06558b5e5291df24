import type { ClusterComponent } from './cluster-component.js';
import type { ComponentOperation } from './taskserv-component-runner.js';

/**
 * One thing an operation does to one component: which task service
 * operation, on the component as it will be recorded afterwards, and the
 * wave it belongs to. Upgrade, scale and restart are lists of these, worked
 * through one at a time; a check runs the same list in check mode.
 */
export interface ComponentStep {
  component: ClusterComponent;
  wave: number;
  operation: Exclude<ComponentOperation, 'status'>;
}
