import { escapeControl } from '../../runtime/data/control-characters.js';
import { ProvError } from '../../runtime/errors/index.js';

/**
 * A granted call that reached its target and failed there (no such file,
 * connection refused): HostCallFailed, with Node's errno code as `reason`
 * for the extension to branch on.
 */
export function hostCallFailed(error: unknown, what: string): ProvError {
  const errno = (error as NodeJS.ErrnoException).code;
  const reason = typeof errno === 'string' ? errno : 'EIO';
  const text = error instanceof Error ? error.message.replace(/^\w+: /, '') : String(error);
  return new ProvError('HostCallFailed', `${escapeControl(what)}: ${escapeControl(text)}`, { details: { reason } });
}
