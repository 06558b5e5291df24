import { z } from 'zod';
import {
  RUN_REPLY_OUTCOME,
  RUN_REPLY_RESULT,
  type ExtensionDescription,
  type InitOutcome,
  type OperationOutcome,
} from '../../host-api/guest-protocol.js';
import { parsePlainJson } from '../data/plain-data.js';
import { ProvError } from '../errors/index.js';

/**
 * The host's check of every message the guest sends back. The guest shares a
 * realm with extension code, so anything it says may be forged or malformed.
 */

const MAX_TEXT = 64 * 1024;
const text = z.string().transform((value) => (value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}… [cut]` : value));

const descriptionSchema = z.object({
  kind: z.string().max(64),
  operations: z
    .array(
      z.object({
        name: z.string().max(256),
        description: text.optional(),
        inputSchema: z.unknown().optional(),
        inputSchemaError: text.optional(),
      }),
    )
    .max(1000),
  components: z.array(z.unknown()).optional(),
});

const initSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ok'), description: descriptionSchema }),
  z.object({ status: z.literal('invalid'), message: text }),
]);

const outcomeSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ok'), resultJson: z.string() }),
  z.object({
    status: z.literal('invalid-input'),
    issues: z
      .array(
        z.object({
          path: z.array(z.union([z.string().max(1024), z.number()])).max(64),
          message: text,
          details: z
            .record(z.string().max(64), z.union([z.string().max(1024), z.number(), z.boolean(), z.null(), z.array(z.string().max(1024)).max(100)]))
            .optional(),
        }),
      )
      .max(1000),
  }),
  z.object({ status: z.literal('unknown-operation'), available: z.array(z.string().max(256)).max(1000) }),
  z.object({
    status: z.literal('thrown'),
    error: z.object({ name: text, message: text, stack: text, code: z.string().max(256).optional() }),
  }),
  z.object({ status: z.literal('bad-result'), message: text }),
]);

function parseGuestMessage<T>(raw: unknown, schema: z.ZodType<T>, what: string): T {
  if (typeof raw !== 'string') throw protocolError(what, 'not a string');
  let value: unknown;
  try {
    value = parsePlainJson(raw);
  } catch (error) {
    throw protocolError(what, (error as Error).message);
  }
  const checked = schema.safeParse(value);
  if (!checked.success) throw protocolError(what, checked.error.issues[0]?.message ?? 'malformed');
  return checked.data;
}

function protocolError(what: string, reason: string): ProvError {
  return new ProvError('OperationFailed', `The extension sent a malformed ${what} (${reason})`, {
    hint: 'Extension code interfered with the prov prelude (e.g. by replacing JSON or built-in prototypes).',
  });
}

export const parseInitOutcome = (raw: unknown): InitOutcome => parseGuestMessage(raw, initSchema, 'load result');
/** Reads `__prov_run`'s reply (framed as RUN_REPLY_RESULT / RUN_REPLY_OUTCOME + JSON). */
export function parseOperationOutcome(raw: unknown): OperationOutcome {
  if (typeof raw !== 'string') throw protocolError('operation result', 'not a string');
  if (raw.startsWith(RUN_REPLY_RESULT)) return { status: 'ok', resultJson: raw.slice(RUN_REPLY_RESULT.length) };
  if (raw.startsWith(RUN_REPLY_OUTCOME)) return parseGuestMessage(raw.slice(RUN_REPLY_OUTCOME.length), outcomeSchema, 'operation result');
  throw protocolError('operation result', 'unknown framing');
}
export const parseDescription = (raw: unknown): ExtensionDescription =>
  parseGuestMessage(raw, descriptionSchema, 'description');
