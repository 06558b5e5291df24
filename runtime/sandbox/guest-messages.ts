import {
  RUN_REPLY_OUTCOME,
  RUN_REPLY_RESULT,
  type ExtensionDescription,
  type InitOutcome,
  type InputIssue,
  type OperationDescription,
  type OperationOutcome,
} from '../../host-api/guest-protocol.js';
import { parsePlainJson, type PlainObject, type PlainValue } from '../data/plain-data.js';
import { ProvError } from '../errors/index.js';

/**
 * The host's check of every message the guest sends back. The guest shares a
 * realm with extension code, so anything it says may be forged or malformed.
 * Written by hand rather than with zod: this runs in every sandbox host
 * process, and importing zod would double that process's start-up time.
 */

const MAX_TEXT = 64 * 1024;
/** Largest outcome (other than a result) and largest load result or description, in characters. */
const MAX_OUTCOME_CHARS = 1024 * 1024;
const MAX_DESCRIPTION_CHARS = 4 * 1024 * 1024;

class Malformed extends Error {}

function object(value: PlainValue | undefined, what: string): PlainObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Malformed(`${what} is not an object`);
  return value;
}

function string(value: PlainValue | undefined, what: string, max: number): string {
  if (typeof value !== 'string') throw new Malformed(`${what} is not a string`);
  if (value.length > max) throw new Malformed(`${what} is longer than ${max} characters`);
  return value;
}

type Mask = (text: string) => string;
const unmasked: Mask = (text) => text;

/** Extension text: cut rather than refused when long; secret values masked first, so no part of one survives the cut. */
function text(value: PlainValue | undefined, what: string, mask: Mask = unmasked): string {
  if (typeof value !== 'string') throw new Malformed(`${what} is not a string`);
  const masked = mask(value);
  return masked.length > MAX_TEXT ? `${masked.slice(0, MAX_TEXT)}… [cut]` : masked;
}

function optional<T>(value: PlainValue | undefined, read: (present: PlainValue) => T): T | undefined {
  return value === undefined ? undefined : read(value);
}

function list<T>(value: PlainValue | undefined, what: string, max: number, each: (item: PlainValue, index: number) => T): T[] {
  if (!Array.isArray(value)) throw new Malformed(`${what} is not a list`);
  if (value.length > max) throw new Malformed(`${what} has more than ${max} entries`);
  return value.map(each);
}

function description(value: PlainValue | undefined): ExtensionDescription {
  const raw = object(value, 'description');
  const operations = list(raw['operations'], 'operations', 1000, (item, index): OperationDescription => {
    const op = object(item, `operations[${index}]`);
    const entry: OperationDescription = { name: string(op['name'], 'operation name', 256) };
    const summary = optional(op['description'], (present) => text(present, 'operation description'));
    if (summary !== undefined) entry.description = summary;
    if (op['inputSchema'] !== undefined) entry.inputSchema = op['inputSchema'];
    const schemaError = optional(op['inputSchemaError'], (present) => text(present, 'inputSchemaError'));
    if (schemaError !== undefined) entry.inputSchemaError = schemaError;
    return entry;
  });
  const components = optional(raw['components'], (present) => list(present, 'components', 1000, (item) => item));
  return { kind: string(raw['kind'], 'kind', 64), operations, ...(components === undefined ? {} : { components }) };
}

function issue(value: PlainValue, index: number): InputIssue {
  const raw = object(value, `issues[${index}]`);
  const path = list(raw['path'], 'issue path', 64, (part) => {
    if (typeof part === 'number') return part;
    return string(part, 'issue path part', 1024);
  });
  const details = optional(raw['details'], (present) => {
    const record = object(present, 'issue details');
    const checked: NonNullable<InputIssue['details']> = {};
    for (const [key, detail] of Object.entries(record)) {
      if (key.length > 64) continue;
      if (detail === null || typeof detail === 'number' || typeof detail === 'boolean') checked[key] = detail;
      else if (typeof detail === 'string') checked[key] = detail.slice(0, 1024);
      else if (Array.isArray(detail) && detail.length <= 100 && detail.every((item) => typeof item === 'string')) {
        checked[key] = detail.map((item) => (item as string).slice(0, 1024));
      }
    }
    return checked;
  });
  return { path, message: text(raw['message'], 'issue message'), ...(details === undefined ? {} : { details }) };
}

function outcome(value: PlainValue, mask: Mask): OperationOutcome {
  const raw = object(value, 'outcome');
  switch (raw['status']) {
    case 'invalid-input':
      return { status: 'invalid-input', issues: list(raw['issues'], 'issues', 1000, issue) };
    case 'unknown-operation':
      return { status: 'unknown-operation', available: list(raw['available'], 'available', 1000, (item) => string(item, 'operation name', 256)) };
    case 'thrown': {
      const error = object(raw['error'], 'error');
      const code = optional(error['code'], (present) => string(present, 'error code', 256));
      return {
        status: 'thrown',
        error: {
          name: text(error['name'], 'error name', mask),
          message: text(error['message'], 'error message', mask),
          stack: text(error['stack'], 'error stack', mask),
          ...(code === undefined ? {} : { code }),
        },
      };
    }
    case 'bad-result':
      return { status: 'bad-result', message: text(raw['message'], 'message', mask) };
    default:
      throw new Malformed('unknown status');
  }
}

function init(value: PlainValue): InitOutcome {
  const raw = object(value, 'load result');
  if (raw['status'] === 'ok') return { status: 'ok', description: description(raw['description']) };
  if (raw['status'] === 'invalid') return { status: 'invalid', message: text(raw['message'], 'message') };
  throw new Malformed('unknown status');
}

function parseGuestMessage<T>(raw: unknown, read: (value: PlainValue) => T, what: string, maxChars: number): T {
  if (typeof raw !== 'string') throw protocolError(what, 'not a string');
  // Bounds what prov holds and prints for one message, whatever the per-field limits add up to.
  if (raw.length > maxChars) throw protocolError(what, `larger than ${maxChars} characters`);
  try {
    return read(parsePlainJson(raw));
  } catch (error) {
    throw protocolError(what, error instanceof Malformed ? error.message : (error as Error).message);
  }
}

function protocolError(what: string, reason: string): ProvError {
  return new ProvError('OperationFailed', `The extension sent a malformed ${what} (${reason})`, {
    hint: 'Extension code interfered with the prov prelude (e.g. by replacing JSON or built-in prototypes).',
  });
}

export const parseInitOutcome = (raw: unknown): InitOutcome => parseGuestMessage(raw, init, 'load result', MAX_DESCRIPTION_CHARS);
export const parseDescription = (raw: unknown): ExtensionDescription =>
  parseGuestMessage(raw, description, 'description', MAX_DESCRIPTION_CHARS);

/** Reads `__prov_run`'s reply (framed as RUN_REPLY_RESULT / RUN_REPLY_OUTCOME + JSON). */
/** `mask` hides secret values in the texts an outcome carries, before they are cut. */
export function parseOperationOutcome(raw: unknown, mask: Mask = unmasked): OperationOutcome {
  if (typeof raw !== 'string') throw protocolError('operation result', 'not a string');
  if (raw.startsWith(RUN_REPLY_RESULT)) return { status: 'ok', resultJson: raw.slice(RUN_REPLY_RESULT.length) };
  if (raw.startsWith(RUN_REPLY_OUTCOME)) {
    return parseGuestMessage(raw.slice(RUN_REPLY_OUTCOME.length), (value) => outcome(value, mask), 'operation result', MAX_OUTCOME_CHARS);
  }
  throw protocolError('operation result', 'unknown framing');
}
