/**
 * Zod 4 "mini", re-exported for input schemas: `import * as z from 'prov/sdk/zod'`.
 *
 * Mini is zod's tree-shakable, functional API (`z.optional(z.string())`,
 * `z.string().check(z.minLength(1))`). prov uses it because every extension
 * bundles its schemas into its sandbox: mini adds ~16 KB to a bundle, classic
 * zod ~440 KB and ~20 ms to every cold start (README, "Benchmarks").
 *
 * @example
 * import * as z from 'prov/sdk/zod';
 * const ServerConfig = z.object({ hostname: z.string().check(z.minLength(1)), plan: z.string() });
 */
export * from 'zod/mini';
