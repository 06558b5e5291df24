import { ProvError, toProvError } from '../errors/index.js';

/**
 * What a runner threw, as the component's error: a ProvError keeps its code;
 * anything else thrown after `signal` aborted is the cancellation it was
 * (an AbortError is not a bug in prov), and the rest are Internal.
 */
export function componentError(thrown: unknown, signal: AbortSignal): ProvError {
  if (!(thrown instanceof ProvError) && signal.aborted) return new ProvError('Cancelled', 'The operation was cancelled', { cause: thrown });
  return toProvError(thrown);
}
