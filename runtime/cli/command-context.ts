import type { CliIo } from './output.js';

/** Shared by every command of one CLI invocation. */
export interface CommandContext {
  io: CliIo;
  env: NodeJS.ProcessEnv;
  /** Set by a command once it knows whether --json was given, so errors use the same format. */
  json: boolean;
}
