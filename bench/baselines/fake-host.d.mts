import type { LogSink, SandboxOptions } from '../../dist/runtime/index.js';

export type FakeOperations = Readonly<Record<string, unknown>>;
export type FakeContext = Readonly<Record<string, unknown>>;

export function evaluateBundle(code: string, globalName?: string): FakeOperations;
export function fakeContext(options: { identity: SandboxOptions['identity']; log: LogSink }): FakeContext;
export function invoke(operations: FakeOperations, name: string, input: unknown, ctx: FakeContext): Promise<unknown>;
