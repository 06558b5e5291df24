import type { OperationOutcome } from '../../host-api/guest-protocol.js';
import type { ExtensionIdentity } from '../../host-api/sdk/context.js';
import type { StackMapper } from '../build/stack-mapper.js';
import { ProvError } from '../errors/index.js';
import type { ResolvedLimits } from './limits.js';
import type { Breach } from './watchdog.js';
import { wordInputIssue } from './word-input-issue.js';
import { escapeControl } from '../data/control-characters.js';
import { toKebabCase } from '../data/operation-names.js';

export function limitError(breach: Breach, operation: string, identity: ExtensionIdentity, limits: ResolvedLimits): ProvError {
  const what =
    breach.kind === 'memory'
      ? `its memory limit of ${limits.memoryMb} MB`
      : breach.kind === 'cpu'
        ? `its CPU limit of ${breach.limitMs} ms`
        : `its time limit of ${breach.limitMs} ms`;
  const key = breach.kind === 'memory' ? 'memory_mb' : breach.kind === 'cpu' ? 'cpu_ms' : 'timeout_ms';
  const during = operation === 'loading' ? 'while loading' : `in ${toKebabCase(operation)}`;
  return new ProvError('LimitExceeded', `${identity.name} exceeded ${what} ${during}; its isolate was ended`, {
    hint: `If the work is legitimate, raise [limits] ${key} in metadata.toml (the operator's policy caps it); the next call starts a fresh isolate.`,
    details: { limit: breach.kind, ...(breach.kind === 'memory' ? { memory_mb: limits.memoryMb } : { limit_ms: breach.limitMs }) },
  });
}

interface OutcomeContext {
  operation: string;
  identity: ExtensionIdentity;
  stackMapper: StackMapper;
  limits: ResolvedLimits;
  /** Host-side evidence (heap statistics) that the isolate is near its memory limit; asked only when it matters. */
  nearMemoryLimit: () => boolean;
}

/** Answered by the host from the operations the extension declared when it loaded. */
export function unknownOperationError(identity: ExtensionIdentity, operation: string, declared: readonly string[]): ProvError {
  const available = declared.map(toKebabCase).sort();
  return new ProvError('UnknownOperation', `${identity.name} has no operation "${escapeControl(toKebabCase(operation))}"`, {
    hint: `Available: ${[...available, 'info'].join(', ')}.`,
    details: { available },
  });
}

/** The ProvError for every outcome but `ok`. Codes come from the host, never from what the extension threw. */
export function describeOutcomeError(
  outcome: Exclude<OperationOutcome, { status: 'ok' }>,
  { operation, identity, stackMapper, limits, nearMemoryLimit }: OutcomeContext,
): ProvError {
  switch (outcome.status) {
    case 'unknown-operation':
      // The host checked the name against what the extension declared at load: this answer is not the prelude's.
      return new ProvError('OperationFailed', `${identity.name} ${toKebabCase(operation)}: the extension withdrew an operation it declared when it loaded`, {
        hint: 'Extension code interfered with the prov prelude or with its own definition.',
      });
    case 'invalid-input': {
      const issues = outcome.issues.map((issue) => ({ path: issue.path, message: wordInputIssue(issue) }));
      const lines = issues.map(
        (issue) => `  ${issue.path.length === 0 ? '(input)' : escapeControl(`input.${issue.path.join('.')}`)}: ${escapeControl(issue.message)}`,
      );
      return new ProvError('InvalidInput', `Input of ${identity.name} ${toKebabCase(operation)} is invalid:\n${lines.join('\n')}`, {
        hint: `Run "prov run <dir> info" to see the operation's input schema.`,
        details: { issues },
      });
    }
    case 'bad-result':
      return new ProvError('OperationFailed', `${identity.name} ${toKebabCase(operation)}: ${escapeControl(outcome.message)}`, {
        hint: 'Operations must return JSON data: objects, arrays, strings, numbers, booleans, null.',
      });
    case 'thrown': {
      const { error } = outcome;
      // Only with the host's own evidence: an extension can throw this message without allocating anything.
      if (error.name === 'RangeError' && error.message === 'Array buffer allocation failed' && nearMemoryLimit()) {
        return limitError({ kind: 'memory', limitMs: 0 }, operation, identity, limits);
      }
      const stack = stackMapper.mapStack(error.stack);
      const at = firstSourceFrame(stack);
      return new ProvError(
        'OperationFailed',
        // The extension's own text is escaped here so only prov's line break (before "at") reaches a terminal.
        `${identity.name} ${toKebabCase(operation)} failed: ${escapeControl(`${error.name}: ${error.message}`)}${at === undefined ? '' : `\n    at ${escapeControl(at)}`}`,
        {
          details: { name: error.name, stack, ...(error.code === undefined ? {} : { extensionCode: error.code }) },
        },
      );
    }
  }
}

/** Longest stack line looked at: extension text, matched without backtracking on anything longer. */
const MAX_FRAME_CHARS = 1024;

/** The first `file:line:column` in a mapped stack that is the extension's own source. */
function firstSourceFrame(stack: string): string | undefined {
  for (const line of stack.split('\n', 200)) {
    if (line.length > MAX_FRAME_CHARS) continue;
    const location = line.trim().split(' ').pop()?.replace(/^\(/, '').replace(/\)$/, '');
    const match = location === undefined ? null : /^(.+\.(?:ts|tsx|js|mjs|cjs)):(\d+):(\d+)$/.exec(location);
    if (match && !match[1]!.startsWith('prov:')) return `${match[1]}:${match[2]}:${match[3]}`;
  }
  return undefined;
}
