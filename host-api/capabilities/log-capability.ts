import type { PlainValue } from '../../runtime/data/plain-data.js';
import type { Capability, HostCallHandler, LogLevel } from '../capability.js';
import { printedLength } from '../../runtime/data/control-characters.js';

/** Longest log message kept; the rest is cut with a marker. */
export const MAX_LOG_MESSAGE_CHARS = 64 * 1024;
/** Largest structured fields kept, as JSON; larger ones are replaced by a note. */
export const MAX_LOG_FIELDS_CHARS = 16 * 1024;
/** Log output one operation may produce; past it, lines are dropped with one warning. */
export const MAX_LOG_CHARS_PER_OPERATION = 1024 * 1024;

/** Characters logged so far, per operation (its HostCallContext). */
const logged = new WeakMap<object, number>();

function formatMessage(value: PlainValue | undefined, mask: (text: string) => string): string {
  // Masked before the cut: a secret that straddles the cut would otherwise leave its first characters.
  const text = mask(typeof value === 'string' ? value : JSON.stringify(value ?? null));
  return text.length > MAX_LOG_MESSAGE_CHARS ? `${text.slice(0, MAX_LOG_MESSAGE_CHARS)}… [cut]` : text;
}

function logAt(level: LogLevel): HostCallHandler {
  return async ([message, fields], call) => {
    const text = formatMessage(message, call.mask);
    let entryFields: { fields?: Record<string, PlainValue> } = {};
    let fieldsJson = '';
    if (typeof fields === 'object' && fields !== null && !Array.isArray(fields)) {
      fieldsJson = JSON.stringify(fields);
      const kept = fieldsJson.length <= MAX_LOG_FIELDS_CHARS;
      entryFields = { fields: kept ? fields : { cut: `fields of ${fieldsJson.length} characters (at most ${MAX_LOG_FIELDS_CHARS})` } };
      if (!kept) fieldsJson = JSON.stringify(entryFields.fields);
    }
    // Counted as it will print: a control or bidi character becomes a six-character escape on a terminal.
    const before = logged.get(call) ?? 0;
    const after = before + printedLength(text) + printedLength(fieldsJson);
    logged.set(call, after);
    const origin = { extension: call.extension.name, ...(call.operation === undefined ? {} : { operation: call.operation }) };
    if (after > MAX_LOG_CHARS_PER_OPERATION) {
      if (before <= MAX_LOG_CHARS_PER_OPERATION) {
        call.log.write({ level: 'warn', message: `log output cut: more than ${MAX_LOG_CHARS_PER_OPERATION} characters in one operation`, ...origin });
      }
      return;
    }
    call.log.write({ level, message: text, ...entryFields, ...origin });
  };
}

/** `ctx.log.*` and the guest's `console.*`: always granted. */
export const logCapability = {
  name: 'log',
  alwaysGranted: true,
  calls: {
    'log.debug': logAt('debug'),
    'log.info': logAt('info'),
    'log.warn': logAt('warn'),
    'log.error': logAt('error'),
  },
} satisfies Capability;
