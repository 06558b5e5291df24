import type { Operation } from './operation.js';

/** Marks a default export as made by `defineProvider` / `defineTaskserv` / `defineCluster`. */
export const DEFINITION_BRAND = 'prov.extension/1';

export type ExtensionKind = 'provider' | 'taskserv' | 'cluster';

/** What an extension's `src/index.ts` exports as default. Plain data plus functions. */
export interface ExtensionDefinition<K extends ExtensionKind = ExtensionKind> {
  readonly brand: typeof DEFINITION_BRAND;
  readonly kind: K;
  readonly operations: Readonly<Record<string, Operation<any, any>>>;
  /** Clusters only: the components the runtime deploys. */
  readonly components?: readonly unknown[];
}

export function makeDefinition<K extends ExtensionKind>(
  kind: K,
  operations: Record<string, Operation<any, any> | undefined>,
  components?: readonly unknown[],
): ExtensionDefinition<K> {
  const defined: Record<string, Operation<any, any>> = {};
  for (const [name, operation] of Object.entries(operations)) {
    if (operation !== undefined) defined[name] = operation;
  }
  return Object.freeze({
    brand: DEFINITION_BRAND,
    kind,
    operations: Object.freeze(defined),
    ...(components === undefined ? {} : { components: Object.freeze([...components]) }),
  });
}
