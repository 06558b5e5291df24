import type * as core from 'zod/v4/core';
import type { ProvContext } from './context.js';

/** Any zod 4 schema (mini or classic) describing an operation's input. */
export type InputSchema = core.$ZodType;

/** JSON-compatible data: what inputs and results are made of. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

/** An operation as a bare function: `async (input, ctx) => output`. */
export type OperationFunction<I = unknown, O = unknown> = (input: I, ctx: ProvContext) => Promise<O> | O;

/** An operation with a declared input schema, validated by the runtime before `run` is called. */
export interface OperationWithSchema<S extends InputSchema = InputSchema, O = unknown> {
  /** Validated before the call; a failure is reported to the operator field by field. */
  readonly input: S;
  /** One line shown by `prov info`. */
  readonly description?: string;
  run(input: core.output<S>, ctx: ProvContext): Promise<O> | O;
}

export type Operation<I = unknown, O = unknown> = OperationFunction<I, O> | OperationWithSchema<InputSchema, O>;

/**
 * Declares an operation with an input schema, so `input` is typed from the schema.
 *
 * @example
 * import * as z from 'prov/sdk/zod';
 * const getServerInfo = defineOperation({
 *   input: z.object({ id: z.string() }),
 *   description: 'One server by id',
 *   async run({ id }, ctx) {
 *     await ctx.log.debug(`looking up ${id}`);
 *     return { id, status: 'running' };
 *   },
 * });
 */
export function defineOperation<S extends InputSchema, O>(operation: OperationWithSchema<S, O>): OperationWithSchema<S, O> {
  return operation;
}
