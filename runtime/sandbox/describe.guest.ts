/**
 * Loaded into an isolate only when an extension's description is asked for
 * (`info`, validation): turns declared zod input schemas into JSON Schema.
 * Kept out of the prelude so that cold loads do not pay for it.
 */
import { toJSONSchema } from 'zod/v4/core';

(globalThis as unknown as Record<string, unknown>)['__prov_toJSONSchema'] = (schema: unknown) =>
  toJSONSchema(schema as Parameters<typeof toJSONSchema>[0], { unrepresentable: 'any', io: 'input' });
