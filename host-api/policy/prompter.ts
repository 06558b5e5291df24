import type { PermissionKey } from '../grants/permission-keys.js';

/** One thing an extension asks for that the operator has not granted yet. */
export interface PromptItem {
  key: PermissionKey;
  value: string;
  /** `http access to`, `reading the secret`, … */
  noun: string;
  /** Said next to the item when granting it means more than it seems (secrets_read, the local target). */
  warning?: string;
}

export interface PromptRequest {
  extension: string;
  version: string;
  items: PromptItem[];
}

/** `once`: for this run; `always`: also recorded in the policy file; `deny`: nothing more is granted. */
export type PromptAnswer = 'once' | 'always' | 'deny';

/**
 * Asks the operator about what is not granted yet (Deno's prompter): a TTY
 * prompter in the CLI, a denying one for `--no-prompt` and non-interactive
 * runs, a stub in tests.
 */
export interface Prompter {
  ask(request: PromptRequest): Promise<PromptAnswer>;
}

/** Non-interactive: what is not granted stays denied. */
export const denyingPrompter: Prompter = {
  ask: async () => 'deny',
};

/** Answers every request the same way and remembers what it was asked (tests). */
export class StubPrompter implements Prompter {
  readonly asked: PromptRequest[] = [];
  constructor(private readonly answer: PromptAnswer) {}

  async ask(request: PromptRequest): Promise<PromptAnswer> {
    this.asked.push(request);
    return this.answer;
  }
}
