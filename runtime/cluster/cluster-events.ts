import type { ProvErrorJson } from '../errors/index.js';
import type { ClusterOperation, ComponentState } from './component-state.js';

/**
 * Progress of a cluster operation, for a display (a TTY line per component,
 * plain lines otherwise). Emitted after the matching state is committed to
 * the store, so a display never shows more than a crash would leave behind.
 */
export type ClusterEvent =
  | { type: 'operation-started'; cluster: string; operation: ClusterOperation; waves: string[][] }
  | { type: 'wave-started'; cluster: string; wave: number; components: string[] }
  | { type: 'component-skipped'; cluster: string; component: string; reason: 'already-deployed' }
  | { type: 'component-started'; cluster: string; component: string; state: ComponentState }
  | { type: 'component-finished'; cluster: string; component: string; state: ComponentState; error?: ProvErrorJson }
  | { type: 'rollback-started'; cluster: string; components: string[] }
  | { type: 'operation-finished'; cluster: string; operation: ClusterOperation; ok: boolean };

export type ClusterEventListener = (event: ClusterEvent) => void;

/**
 * Calls the listener, ignoring what it throws: a broken display must not
 * stop a deploy halfway, between an install and the record of it.
 */
export function emitter(listener: ClusterEventListener | undefined): ClusterEventListener {
  return (event) => {
    try {
      listener?.(event);
    } catch {
      // A display's fault is not the deploy's.
    }
  };
}
