import { makeDefinition, type ExtensionDefinition } from './extension-definition.js';
import type { Operation } from './operation.js';

/** `status`'s result. */
export interface TaskservStatus {
  service: string;
  version?: string;
  /** systemd's `is-active` answer, or `unknown`. */
  state: 'active' | 'inactive' | 'failed' | 'activating' | 'unknown' | (string & {});
  healthy?: boolean;
  details?: Record<string, unknown>;
}

/** `checkUpdates`'s result. */
export interface UpdateCheck {
  current: string | null;
  latest: string;
  update_available: boolean;
}

/**
 * The operations of a task service (PRODUCT.md §2), acting on `ctx.target`.
 */
export interface TaskservOperations {
  install: Operation<any, unknown>;
  uninstall: Operation<any, unknown>;
  configure: Operation<any, unknown>;
  status: Operation<any, TaskservStatus>;
  restart: Operation<any, unknown>;
  upgrade: Operation<any, unknown>;
  getCurrentVersion: Operation<any, string | null>;
  getAvailableVersions: Operation<any, string[]>;
  checkUpdates: Operation<any, UpdateCheck>;
}

/**
 * Defines a task service: a component installed and run on a server.
 *
 * @example
 * import { defineTaskserv } from 'prov/sdk';
 *
 * export default defineTaskserv({
 *   async install(config, ctx) { await ctx.log.info('installing'); return { installed: true }; },
 *   async status(_input, ctx) { return { service: ctx.extension.name, state: 'active' }; },
 *   // …uninstall, configure, restart, upgrade, getCurrentVersion, getAvailableVersions, checkUpdates
 * });
 */
export function defineTaskserv<T extends TaskservOperations>(operations: T): ExtensionDefinition<'taskserv'> {
  return makeDefinition('taskserv', operations as unknown as Record<string, Operation>);
}
