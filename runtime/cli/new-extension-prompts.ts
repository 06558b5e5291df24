import input from '@inquirer/input';
import select from '@inquirer/select';
import { ProvError } from '../errors/index.js';
import { EXTENSION_KINDS, type ExtensionKind } from '../manifest/manifest-schema.js';
import { defaultDescription } from '../scaffold/new-extension.js';
import { extensionNameProblem } from '../scaffold/extension-name.js';
import type { CommandContext } from './command-context.js';

export interface NewExtensionAnswers {
  kind: string;
  name: string;
  description?: string;
}

const KIND_CHOICES: readonly { value: ExtensionKind; name: string; description: string }[] = [
  { value: 'provider', name: 'provider', description: 'creates and manages cloud servers through an HTTP API' },
  { value: 'taskserv', name: 'taskserv', description: 'installs and runs a service on a server, under systemd' },
  { value: 'cluster', name: 'cluster', description: 'composes task services into a deployment' },
];

/**
 * What `prov new` was not told: asked on a terminal (stdin and stderr both
 * TTYs, and no --json, which means a program is reading), else a Usage error
 * for a missing kind or name. A missing description is asked for on a
 * terminal and otherwise left to the template's default. Values given on the
 * command line are never asked again; newExtension checks them.
 */
export async function completeNewArguments(cli: CommandContext, given: Partial<NewExtensionAnswers>): Promise<NewExtensionAnswers> {
  const interactive = !cli.json && (cli.io.stdin as { isTTY?: boolean } | undefined)?.isTTY === true && (cli.io.stderr as { isTTY?: boolean }).isTTY === true;
  if (!interactive) {
    if (given.kind === undefined) {
      throw new ProvError('Usage', 'prov new needs the kind of extension and its name', { hint: 'prov new provider|taskserv|cluster NAME (on a terminal, prov new asks for what is missing)' });
    }
    if (given.name === undefined) {
      throw new ProvError('Usage', `prov new needs a name for the ${given.kind}`, { hint: `prov new ${given.kind} NAME (lower-case letters, digits, dashes)` });
    }
    return { kind: given.kind, name: given.name, ...(given.description === undefined ? {} : { description: given.description }) };
  }
  const streams = { input: cli.io.stdin as NodeJS.ReadStream, output: cli.io.stderr as NodeJS.WriteStream, clearPromptOnDone: false };
  try {
    const kind = given.kind ?? (await select<ExtensionKind>({ message: 'What kind of extension?', choices: KIND_CHOICES }, streams));
    const name = given.name ?? (await input({ message: 'Its name:', validate: (value) => extensionNameProblem(value) ?? true }, streams));
    const fallback = (EXTENSION_KINDS as readonly string[]).includes(kind) ? defaultDescription(kind as ExtensionKind, name) : '';
    const description = given.description ?? (await input({ message: 'One line to describe it:', default: fallback }, streams));
    return { kind, name, description };
  } catch (error) {
    // Ctrl-C or a closed terminal: nothing was written yet.
    if ((error as Error).name === 'ExitPromptError' || (error as Error).name === 'AbortPromptError') {
      throw new ProvError('Cancelled', 'prov new was cancelled; nothing was written');
    }
    throw error;
  }
}
