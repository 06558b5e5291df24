import select from '@inquirer/select';
import type { Prompter, PromptAnswer, PromptRequest } from '../../host-api/policy/prompter.js';
import { escapeControl } from '../data/control-characters.js';

/**
 * Asks on the terminal (stderr), listing what the extension asks for that
 * the operator has not granted. Everything an extension supplied is escaped.
 */
export class TtyPrompter implements Prompter {
  constructor(
    private readonly input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WritableStream,
    private readonly policyFile: string,
  ) {}

  async ask(request: PromptRequest): Promise<PromptAnswer> {
    const lines = request.items.map((item) => {
      const warning = item.warning === undefined ? '' : `   ⚠ ${item.warning}`;
      return `  ${item.key.padEnd(12)} ${item.noun} ${JSON.stringify(escapeControl(item.value))}${warning}`;
    });
    this.output.write(`\n${escapeControl(request.extension)} ${escapeControl(request.version)} asks for what you have not granted:\n${lines.join('\n')}\n\n`);
    try {
      return await select<PromptAnswer>(
        {
          message: 'Grant it?',
          choices: [
            { name: 'No, deny (calls fail with PermissionDenied)', value: 'deny' },
            { name: 'Yes, for this run', value: 'once' },
            { name: `Always (record in ${this.policyFile})`, value: 'always' },
          ],
          default: 'deny',
        },
        { input: this.input as NodeJS.ReadStream, output: this.output as NodeJS.WriteStream, clearPromptOnDone: false },
      );
    } catch {
      return 'deny'; // Ctrl-C or a closed terminal denies
    }
  }
}
