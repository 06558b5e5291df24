import type { InputIssue } from '../../host-api/guest-protocol.js';

type Locale = { localeError: (issue: never) => string | { message: string } | undefined | null };
let english: Locale | undefined;

/**
 * zod's English locale, loaded on the first invalid input only: the sandbox
 * host process starts without zod (it would double its start-up time).
 */
export async function loadInputWording(): Promise<void> {
  if (english !== undefined) return;
  const module = (await import('zod/v4/locales/en.js')) as { default: () => Locale };
  english = module.default();
}

/**
 * zod mini inside the sandbox carries no locale (it would cost every bundle),
 * so its messages read "Invalid input". The host words them from the issue's
 * details with zod's English locale; an extension's own message is kept.
 * Call loadInputWording() first; without it the message stays as it came.
 */
export function wordInputIssue(issue: InputIssue): string {
  if (english === undefined || issue.message !== 'Invalid input' || issue.details?.['code'] === undefined) return issue.message;
  try {
    const { received, ...details } = issue.details;
    const worded = english.localeError({ ...details, path: issue.path, input: standIn(received) } as never);
    const text = typeof worded === 'string' ? worded : worded?.message;
    return text ?? issue.message;
  } catch {
    return issue.message;
  }
}

/** A value of the type the guest received, for zod's "received …" wording (the value itself stays in the guest). */
function standIn(received: unknown): unknown {
  switch (received) {
    case 'string':
      return '';
    case 'number':
      return 0;
    case 'boolean':
      return false;
    case 'bigint':
      return 0n;
    case 'null':
      return null;
    case 'array':
      return [];
    case 'object':
      return {};
    default:
      return undefined;
  }
}
