import type { Subject, OperationCall } from '../subject.js';
import { NO_OP_LOG } from '../subject.js';
import { evaluateBundle, fakeContext, invoke, type FakeContext, type FakeOperations } from './fake-host.mjs';

/**
 * Baseline (2): no isolation at all. The same bundle evaluated in the bench
 * process with `new Function`, its operations called directly with a fake
 * ctx whose log calls go straight to the no-op LogSink. What is left is the
 * operation's own work (zod validation included); prov's figure on top of
 * this is the price of the sandbox.
 */
export class InHostBaseline {
  readonly #operations: FakeOperations;
  readonly #ctx: FakeContext;

  constructor(subject: Subject) {
    this.#operations = evaluateBundle(subject.bundle.code);
    this.#ctx = fakeContext({ identity: subject.identity, log: NO_OP_LOG });
  }

  call(call: OperationCall): Promise<unknown> {
    return invoke(this.#operations, call.operation, call.input, this.#ctx);
  }
}
