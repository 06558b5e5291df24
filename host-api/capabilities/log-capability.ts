import type { PlainValue } from '../../runtime/data/plain-data.js';
import type { Capability, HostCallHandler, LogLevel } from '../capability.js';

/** Longest log message kept; the rest is cut with a marker. */
export const MAX_LOG_MESSAGE_CHARS = 64 * 1024;

function formatMessage(value: PlainValue | undefined): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return text.length > MAX_LOG_MESSAGE_CHARS ? `${text.slice(0, MAX_LOG_MESSAGE_CHARS)}… [cut]` : text;
}

function logAt(level: LogLevel): HostCallHandler {
  return async ([message, fields], call) => {
    const entryFields =
      typeof fields === 'object' && fields !== null && !Array.isArray(fields) ? { fields } : {};
    call.log.write({
      level,
      message: formatMessage(message),
      ...entryFields,
      extension: call.extension.name,
      ...(call.operation === undefined ? {} : { operation: call.operation }),
    });
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
