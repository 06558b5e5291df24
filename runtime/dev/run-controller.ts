import { toCamelCase } from '../data/operation-names.js';
import type { PlainValue } from '../data/plain-data.js';
import { toProvError } from '../errors/index.js';
import type { LoadedExtension } from '../extension/load-extension.js';
import { runOperation } from '../run/run-operation.js';
import type { Target } from '../../host-api/sdk/context.js';
import type { DevEvent } from './dev-events.js';

/** What `prov dev --run` runs after each reload. */
export interface DevRun {
  operation: string;
  input?: PlainValue;
  /** Check mode (the default in the dev loop): the author sees the effect plan, nothing is changed. */
  check: boolean;
  target?: Target;
}

/** Runs the `--run` operation on the extension just reloaded; a newer change cancels it. */
export class RunController {
  constructor(
    private readonly run: DevRun,
    private readonly dispatch: (event: DevEvent) => void,
  ) {}

  start(cycle: number, extension: LoadedExtension, signal: AbortSignal): void {
    const started = performance.now();
    const { operation, input, check } = this.run;
    runOperation(extension, toCamelCase(operation), input, { check, signal, ...(this.run.target === undefined ? {} : { target: this.run.target }) }).then(
      (outcome) => this.dispatch({ type: 'ran', cycle, operation, check, outcome, ms: performance.now() - started }),
      (error: unknown) => this.dispatch({ type: 'ran', cycle, operation, check, error: toProvError(error), ms: performance.now() - started }),
    );
  }
}
