/**
 * The guest side of the sandbox: runs first in every isolate, before the
 * extension's bundle. It builds `ctx` from the host's list of calls, routes
 * `console.*` to the host log, validates input, runs operations and turns
 * their results and errors into JSON for the host.
 *
 * Nothing here is trusted by the host: the extension shares this realm and can
 * tamper with built-ins, so the host re-validates every message it receives.
 * The prelude captures the built-ins it needs up front so that an extension
 * mostly hurts only itself if it tampers; the host's own references to the
 * functions below are taken before the extension runs.
 */
import type {
  ExtensionDescription,
  GuestBoot,
  GuestContextData,
  InitOutcome,
  InputIssue,
  OperationOutcome,
  OperationRequest,
  ThrownError,
} from '../../host-api/guest-protocol.js';
import { RUN_REPLY_OUTCOME, RUN_REPLY_RESULT } from '../../host-api/guest-protocol.js';

/** Flat (callId, seq, name, argsJson) quadruples. */
type HostSend = (...flat: unknown[]) => void;
type HostDone = (callId: number, reply: string) => void;
type AnyFunction = (...args: unknown[]) => unknown;
interface OperationObject {
  input?: unknown;
  description?: unknown;
  run: AnyFunction;
}

const g = globalThis as unknown as Record<string, unknown>;
const send = g['__prov_send'] as HostSend;
const done = g['__prov_done'] as HostDone;
const boot = JSON.parse(g['__prov_boot'] as string) as GuestBoot;
delete g['__prov_send'];
delete g['__prov_done'];
delete g['__prov_boot'];

// No shared memory, no blocking waits, no WebAssembly memory outside the heap limit.
delete g['SharedArrayBuffer'];
delete g['Atomics'];
delete g['WebAssembly'];

const stringify = JSON.stringify;
const parse = JSON.parse;
const freeze = Object.freeze;
const isFrozen = Object.isFrozen;
const keys = Object.keys;
const hasOwn = Object.prototype.hasOwnProperty;
const StringCtor = String;
const PromiseCtor = Promise;
const ErrorCtor = Error;
const MapCtor = Map;
const mapGet = Map.prototype.get;
const mapSet = Map.prototype.set;
const mapDelete = Map.prototype.delete;
const mapForEach = Map.prototype.forEach;
const apply = Reflect.apply;
const promiseThen = Promise.prototype.then;

interface Pending {
  callId: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}
const pending = new MapCtor<number, Pending>();
let nextSeq = 1;
const extension = deepFreeze(boot.extension);
/** The operation now running; console.* output is attributed to it (0 while loading). */
let currentCallId = 0;

/** Host-call arguments are JSON data: a function or symbol anywhere is a mistake, not something to drop silently. */
function refuseNonData(_key: string, value: unknown): unknown {
  const type = typeof value;
  if (type === 'function' || type === 'symbol') throw new TypeError(`a ${type} is not JSON data`);
  return value;
}

function hostCall(callId: number, name: string, args: unknown[]): Promise<unknown> {
  let json: string | undefined;
  try {
    json = stringify(args, refuseNonData);
  } catch (error) {
    return PromiseCtor.reject(new TypeError(`ctx.${name}: arguments must be JSON data (${describeThrown(error).message})`));
  }
  if (json === undefined) json = '[]';
  if (json.length > boot.maxPayloadChars) {
    return PromiseCtor.reject(new RangeError(`ctx.${name}: arguments are larger than ${boot.maxPayloadChars} characters`));
  }
  const payload = json;
  return new PromiseCtor((resolve, reject) => {
    const seq = nextSeq++;
    apply(mapSet, pending, [seq, { callId, resolve, reject }]);
    post(callId, seq, name, payload);
  });
}

/**
 * Calls made in one turn of the guest (a Promise.all of many) cross to the
 * host together, as one flat argument list of (callId, seq, name, args)
 * quadruples, once the turn's synchronous code is done: one crossing instead
 * of one per call.
 */
const MAX_BATCH = 256;
let outbox: unknown[] = [];
let outboxLength = 0;
let flushQueued = false;
const resolved = PromiseCtor.resolve();

function post(callId: number, seq: number, name: string, payload: string): void {
  outbox[outboxLength++] = callId;
  outbox[outboxLength++] = seq;
  outbox[outboxLength++] = name;
  outbox[outboxLength++] = payload;
  // A batch is at most MAX_BATCH calls (the host runs no more than 256 at once anyway).
  if (outboxLength >= MAX_BATCH * 4) {
    flushOutbox();
    return;
  }
  if (!flushQueued) {
    flushQueued = true;
    apply(promiseThen, resolved, [flushOutbox]);
  }
}

function flushOutbox(): void {
  if (outboxLength === 0) {
    flushQueued = false;
    return;
  }
  const batch = outbox;
  outbox = [];
  outboxLength = 0;
  flushQueued = false;
  apply(send, undefined, batch);
}

/**
 * The host drops calls of an operation that has ended and never settles
 * them: reject what is left so a long-lived isolate does not keep them.
 */
function cancelPending(callId: number): void {
  const ended: number[] = [];
  let count = 0;
  apply(mapForEach, pending, [
    (entry: Pending, seq: number) => {
      if (entry.callId === callId) ended[count++] = seq;
    },
  ]);
  for (let index = 0; index < count; index++) {
    const seq = ended[index]!;
    const entry = apply(mapGet, pending, [seq]) as Pending;
    apply(mapDelete, pending, [seq]);
    const error = new ErrorCtor('The operation ended before this host call finished') as Error & { code?: string };
    error.name = 'ProvHostError';
    error.code = 'Cancelled';
    entry.reject(error);
  }
}

/** The host settles calls in batches: flat (seq, ok, payloadJson) triples. */
g['__prov_settle'] = (...flat: unknown[]): void => {
  for (let index = 0; index + 3 <= flat.length; index += 3) {
    settleOne(flat[index] as number, flat[index + 1] as boolean, flat[index + 2] as string);
  }
};

function settleOne(seq: number, ok: boolean, payloadJson: string): void {
  const entry = apply(mapGet, pending, [seq]) as Pending | undefined;
  if (entry === undefined) return;
  apply(mapDelete, pending, [seq]);
  const value: unknown = payloadJson === '' ? undefined : parse(payloadJson);
  if (ok) {
    entry.resolve(value);
    return;
  }
  const detail = (value ?? {}) as { code?: string; message?: string; hint?: string; reason?: string };
  const error = new ErrorCtor(StringCtor(detail.message ?? 'host call failed')) as Error & { code?: string; hint?: string; reason?: string };
  error.name = 'ProvHostError';
  if (detail.code !== undefined) error.code = detail.code;
  if (detail.hint !== undefined) error.hint = detail.hint;
  if (detail.reason !== undefined) error.reason = detail.reason;
  entry.reject(error);
}

// ---------------------------------------------------------------- ctx

interface Signal {
  aborted: boolean;
  reason: unknown;
  listeners: ((reason: unknown) => void)[];
}
const signals = new MapCtor<number, Signal>();

g['__prov_abort'] = (callId: number, reason: string): void => {
  const signal = apply(mapGet, signals, [callId]) as Signal | undefined;
  if (signal === undefined || signal.aborted) return;
  signal.aborted = true;
  signal.reason = new ErrorCtor(reason);
  for (const listener of signal.listeners) {
    try {
      listener(signal.reason);
    } catch {
      // a listener's failure is the extension's own business
    }
  }
};

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (let index = 0; index < parts.length - 1; index++) {
    const part = parts[index]!;
    if (!hasOwn.call(node, part)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

/** A fetch response crosses as data; `json()` is added here. */
function withJson(response: unknown): unknown {
  if (typeof response !== 'object' || response === null) return response;
  const record = response as Record<string, unknown>;
  record['json'] = () => parse(StringCtor(record['body'] === '' ? 'null' : record['body']));
  return record;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !isFrozen(value)) {
    for (const key of keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    freeze(value);
  }
  return value;
}

function makeContext(callId: number, data: GuestContextData): Record<string, unknown> {
  const signalState: Signal = { aborted: false, reason: undefined, listeners: [] };
  apply(mapSet, signals, [callId, signalState]);
  const ctx: Record<string, unknown> = {};
  for (const name of boot.hostCalls) {
    const call = (...args: unknown[]) => hostCall(callId, name, args);
    setPath(ctx, name, name === 'http.fetch' ? (...args: unknown[]) => apply(promiseThen, call(...args), [withJson]) : call);
  }
  ctx['check'] = data.check;
  ctx['deadline'] = data.deadline;
  ctx['extension'] = extension;
  ctx['target'] = data.target;
  ctx['signal'] = {
    get aborted() {
      return signalState.aborted;
    },
    get reason() {
      return signalState.reason;
    },
    throwIfAborted() {
      if (signalState.aborted) throw signalState.reason;
    },
    onAbort(listener: (reason: unknown) => void) {
      if (signalState.aborted) listener(signalState.reason);
      else signalState.listeners.push(listener);
    },
  };
  return deepFreeze(ctx);
}

// ---------------------------------------------------------------- console

function formatArg(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof ErrorCtor) return value.stack ?? `${value.name}: ${value.message}`;
  try {
    const json = stringify(value);
    return json === undefined ? StringCtor(value) : json;
  } catch {
    return StringCtor(value);
  }
}

function consoleMethod(level: 'debug' | 'info' | 'warn' | 'error') {
  return (...args: unknown[]): void => {
    const message = args.map(formatArg).join(' ');
    hostCall(currentCallId, `log.${level}`, [message]).catch(() => undefined);
  };
}

g['console'] = freeze({
  debug: consoleMethod('debug'),
  log: consoleMethod('info'),
  info: consoleMethod('info'),
  warn: consoleMethod('warn'),
  error: consoleMethod('error'),
  trace: consoleMethod('debug'),
});

// ---------------------------------------------------------------- errors

function describeThrown(thrown: unknown): ThrownError {
  try {
    if (typeof thrown === 'object' && thrown !== null) {
      const record = thrown as Record<string, unknown>;
      const message = typeof record['message'] === 'string' ? record['message'] : StringCtor(thrown);
      const name = typeof record['name'] === 'string' ? record['name'] : 'Error';
      const stack = typeof record['stack'] === 'string' ? record['stack'] : `${name}: ${message}`;
      const code = record['code'];
      return { name, message, stack, ...(typeof code === 'string' ? { code } : {}) };
    }
    const text = StringCtor(thrown);
    return { name: 'Error', message: text, stack: `thrown value: ${text}` };
  } catch {
    return { name: 'Error', message: 'an unprintable value was thrown', stack: '' };
  }
}

// ---------------------------------------------------------------- the extension

let operations: Record<string, AnyFunction | OperationObject> = {};
let operationNames: string[] = [];
let definition: Record<string, unknown> | undefined;

g['__prov_init'] = (): string => {
  const outcome = ((): InitOutcome => {
    const module = g['__prov_extension'] as Record<string, unknown> | undefined;
    g['__prov_extension'] = undefined; // a top-level `var` of the bundle: cannot be deleted, only emptied
    const candidate = module?.['default'] as Record<string, unknown> | undefined;
    if (typeof candidate !== 'object' || candidate === null || candidate['brand'] !== 'prov.extension/1') {
      return {
        status: 'invalid',
        message:
          'src/index.ts must export default defineProvider(…), defineTaskserv(…) or defineCluster(…) from "prov/sdk"',
      };
    }
    const ops = candidate['operations'];
    if (typeof ops !== 'object' || ops === null) return { status: 'invalid', message: 'the definition has no operations' };
    for (const name of keys(ops)) {
      const op = (ops as Record<string, unknown>)[name];
      const runnable =
        typeof op === 'function' ||
        (typeof op === 'object' && op !== null && typeof (op as Record<string, unknown>)['run'] === 'function');
      if (!runnable) {
        return { status: 'invalid', message: `operation "${name}" is a ${op === null ? 'null' : typeof op}, not a function or { run }` };
      }
    }
    definition = candidate;
    operations = ops as Record<string, AnyFunction | OperationObject>;
    operationNames = keys(ops);
    return { status: 'ok', description: describe(false) };
  })();
  return stringify(outcome);
};

function describe(withSchemas: boolean): ExtensionDescription {
  const toJSONSchema = g['__prov_toJSONSchema'] as ((schema: unknown) => unknown) | undefined;
  const described = operationNames.map((name) => {
    const op = operations[name]!;
    if (typeof op === 'function') return { name };
    const entry: ExtensionDescription['operations'][number] = { name };
    if (typeof op.description === 'string') entry.description = op.description;
    if (op.input !== undefined && withSchemas && toJSONSchema !== undefined) {
      try {
        entry.inputSchema = parse(stringify(toJSONSchema(op.input)));
      } catch (error) {
        entry.inputSchemaError = describeThrown(error).message;
      }
    }
    return entry;
  });
  const components = definition?.['components'];
  return {
    kind: StringCtor(definition?.['kind']),
    operations: described,
    ...(Array.isArray(components) ? { components: parse(stringify(components)) as unknown[] } : {}),
  };
}

g['__prov_describe'] = (): string => stringify(describe(true));

type StandardResult = { value: unknown; issues?: undefined } | { issues: readonly { message: string; path?: readonly unknown[] }[] };

async function validateInput(schema: unknown, input: unknown): Promise<{ ok: true; value: unknown } | { ok: false; issues: InputIssue[] }> {
  const standard = (schema as Record<string, unknown> | null)?.['~standard'] as
    | { validate: (value: unknown) => StandardResult | Promise<StandardResult> }
    | undefined;
  if (standard === undefined || typeof standard.validate !== 'function') {
    throw new TypeError('the declared input is not a zod schema');
  }
  const result = await standard.validate(input);
  if (result.issues === undefined) return { ok: true, value: result.value };
  return {
    ok: false,
    issues: result.issues.map((issue) => ({
      message: StringCtor(issue.message),
      path: (issue.path ?? []).map((part) => {
        const key = typeof part === 'object' && part !== null ? (part as { key: unknown }).key : part;
        return typeof key === 'number' ? key : StringCtor(key);
      }),
      // zod's issue details (code, expected, minimum, …) let the host word the message.
      details: issueDetails(issue as unknown as Record<string, unknown>, input),
    })),
  };
}

function typeAt(input: unknown, path: readonly unknown[]): string {
  let value = input;
  for (const part of path) {
    const key = typeof part === 'object' && part !== null ? (part as { key: unknown }).key : part;
    if (typeof value !== 'object' || value === null) return 'undefined';
    value = (value as Record<PropertyKey, unknown>)[key as PropertyKey];
  }
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function issueDetails(issue: Record<string, unknown>, input: unknown): Record<string, string | number | boolean | null | string[]> {
  const details: Record<string, string | number | boolean | null | string[]> = {
    received: typeAt(input, (issue['path'] as unknown[] | undefined) ?? []),
  };
  for (const key of keys(issue)) {
    if (key === 'message' || key === 'path') continue;
    if (key === 'input') continue;
    const value = issue[key];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) details[key] = value;
    else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) details[key] = value as string[];
  }
  return details;
}

async function runOperation(request: OperationRequest): Promise<OperationOutcome> {
  if (!hasOwn.call(operations, request.operation)) return { status: 'unknown-operation', available: operationNames };
  const op = operations[request.operation]!;
  const ctx = makeContext(request.callId, request.context);
  currentCallId = request.callId;
  try {
    let input: unknown = request.inputJson === '' ? undefined : parse(request.inputJson);
    const run = typeof op === 'function' ? op : op.run;
    if (typeof op !== 'function' && op.input !== undefined) {
      const checked = await validateInput(op.input, input);
      if (!checked.ok) return { status: 'invalid-input', issues: checked.issues };
      input = checked.value;
    }
    const result = await apply(run, typeof op === 'function' ? undefined : op, [input, ctx]);
    let resultJson: string | undefined;
    try {
      resultJson = stringify(result === undefined ? null : result);
    } catch (error) {
      return { status: 'bad-result', message: `the result is not JSON data: ${describeThrown(error).message}` };
    }
    if (resultJson === undefined) return { status: 'bad-result', message: 'the result is not JSON data' };
    if (resultJson.length > boot.maxPayloadChars) {
      return { status: 'bad-result', message: `the result is larger than ${boot.maxPayloadChars} characters` };
    }
    return { status: 'ok', resultJson };
  } catch (error) {
    return { status: 'thrown', error: describeThrown(error) };
  } finally {
    apply(mapDelete, signals, [request.callId]);
  }
}

/** Starts an operation; its reply goes to the host through `done` when it settles. */
g['__prov_run'] = (requestJson: string): void => {
  const request = parse(requestJson) as OperationRequest;
  const reply = (outcome: OperationOutcome): void => {
    let text: string;
    try {
      // The common case skips a second layer of JSON: see RUN_REPLY_* in guest-protocol.ts.
      text = outcome.status === 'ok' ? `${RUN_REPLY_RESULT}${outcome.resultJson}` : `${RUN_REPLY_OUTCOME}${stringify(outcome)}`;
    } catch {
      text = `${RUN_REPLY_OUTCOME}{"status":"bad-result","message":"the operation's outcome could not be encoded"}`;
    }
    done(request.callId, text);
    // After the reply: whatever these rejections make the extension do reaches a host that has closed the operation.
    cancelPending(request.callId);
  };
  // The captured `then`: a replaced Promise.prototype.then must not be handed `reply`.
  apply(promiseThen, runOperation(request), [reply, (error: unknown) => reply({ status: 'thrown', error: describeThrown(error) })]);
};
