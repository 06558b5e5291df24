// The smallest host an extension bundle can run in without prov: no isolate,
// no JSON boundary, no watchdog. Plain JavaScript (not TypeScript) because
// the process-per-op baseline loads it in a fresh `node` per operation, and
// type stripping would add its own start-up cost to that baseline.
// Types: fake-host.d.mts.

/** Evaluates a prov bundle (an IIFE assigning `__prov_extension`) and returns its operations. */
export function evaluateBundle(code, globalName = '__prov_extension') {
  const module = new Function(`${code}\n;return ${globalName};`)();
  const definition = module?.default;
  if (typeof definition !== 'object' || definition === null || typeof definition.operations !== 'object') {
    throw new Error('the bundle does not export a prov extension definition');
  }
  return definition.operations;
}

/** A `ctx` with the shape of prov's: log and sleep, a signal that never aborts, the identity. */
export function fakeContext({ identity, log }) {
  const logAt = (level) => async (message, fields) => {
    log.write({ level, message: String(message), ...(fields === undefined ? {} : { fields }), extension: identity.name });
  };
  return Object.freeze({
    log: Object.freeze({ debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error') }),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    check: false,
    deadline: Date.now() + 30_000,
    signal: Object.freeze({ aborted: false, reason: undefined, throwIfAborted() {}, onAbort() {} }),
    extension: identity,
    target: null,
  });
}

/** Runs one operation as prov's prelude does: validate a declared zod input (Standard Schema), then call. */
export async function invoke(operations, name, input, ctx) {
  const op = operations[name];
  if (op === undefined) throw new Error(`the bundle has no operation ${name}`);
  if (typeof op === 'function') return op(input, ctx);
  let value = input;
  if (op.input !== undefined) {
    const checked = await op.input['~standard'].validate(input);
    if (checked.issues !== undefined) {
      throw new Error(`invalid input for ${name}: ${checked.issues.map((issue) => issue.message).join('; ')}`);
    }
    value = checked.value;
  }
  return op.run(value, ctx);
}
