/**
 * Adversarial tests: real extensions, bundled and loaded into isolates, that
 * try to get out of the sandbox or to make the host misbehave (PRODUCT.md
 * §3.1 and §4). Every case states what a hostile guest tries and what the
 * host must answer; a case fails when the guest gets further than that.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import {
  loadExtension,
  parseInputJson,
  ProvError,
  runOperation,
  type LoadedExtension,
  type PlainValue,
} from '../../runtime/index.js';
import { CollectingLogSink } from '../helpers/collecting-log-sink.js';
import { runProv, type CliResult } from '../helpers/run-cli.js';
import { createTempExtension, providerSource, type TempExtension } from '../helpers/temp-extension.js';

// ---------------------------------------------------------------- harness

const temps: TempExtension[] = [];
const loaded: LoadedExtension[] = [];

afterAll(async () => {
  for (const extension of loaded) extension.sandbox.dispose();
  await Promise.all(temps.map((temp) => temp.cleanup()));
});

interface Harness {
  ext: LoadedExtension;
  log: CollectingLogSink;
  dir: string;
}

interface ExtensionSpec {
  /** Object-literal members of the provider (`"async listServers(input: any, ctx: any) { … }"`). */
  members: Record<string, string>;
  /** Top-level code of src/index.ts, run while the bundle loads. */
  prologue?: string;
  /** Extra metadata.toml text, e.g. a [limits] table. */
  manifestExtra?: string;
}

async function writeExtension(spec: ExtensionSpec): Promise<string> {
  const temp = await createTempExtension({
    source: providerSource(spec.members, spec.prologue ?? ''),
    ...(spec.manifestExtra === undefined ? {} : { manifestExtra: spec.manifestExtra }),
  });
  temps.push(temp);
  return temp.dir;
}

async function load(spec: ExtensionSpec): Promise<Harness> {
  const dir = await writeExtension(spec);
  const log = new CollectingLogSink();
  const ext = await loadExtension(dir, { log });
  loaded.push(ext);
  return { ext, log, dir };
}

type Outcome = { ok: true; result: PlainValue } | { ok: false; error: ProvError };

/** Runs an operation; anything but a result or a ProvError (a raw host error) fails the test. */
async function attempt(ext: LoadedExtension, operation: string, input?: PlainValue): Promise<Outcome> {
  try {
    const { result } = await runOperation(ext, operation, input);
    return { ok: true, result };
  } catch (error) {
    expect(error, 'the host must only ever report ProvErrors').toBeInstanceOf(ProvError);
    return { ok: false, error: error as ProvError };
  }
}

function resultOf(outcome: Outcome): PlainValue {
  if (!outcome.ok) expect.fail(`expected a result, got ${outcome.error.code}: ${outcome.error.message}`);
  return outcome.result;
}

function errorOf(outcome: Outcome): ProvError {
  if (outcome.ok) expect.fail(`expected an error, got the result ${JSON.stringify(outcome.result)}`);
  return outcome.error;
}

/** JSON round trip: compares prototype-free host values with plain literals. */
function plain(value: PlainValue): unknown {
  return JSON.parse(JSON.stringify(value));
}

function hostPrototypeIsClean(): void {
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  expect(({} as Record<string, unknown>)['plan']).toBeUndefined();
}

const PROV_GLOBALS = [
  '__prov_send',
  '__prov_settle',
  '__prov_run',
  '__prov_boot',
  '__prov_abort',
  '__prov_init',
  '__prov_describe',
  '__prov_done',
  '__prov_extension',
];

// ---------------------------------------------------------------- escapes, one extension each

interface EscapeCase extends ExtensionSpec {
  name: string;
  check(outcome: Outcome, harness: Harness): void | Promise<void>;
}

const escapeCases: EscapeCase[] = [
  {
    name: 'this.constructor.constructor("return process")() finds no process',
    members: {
      listServers: `async listServers() { return (this as any).constructor.constructor('return process')(); }`,
    },
    check(outcome) {
      const error = errorOf(outcome);
      expect(error.code).toBe('OperationFailed');
      expect(error.message).toContain('test-ext list-servers failed: ReferenceError: process is not defined');
    },
  },
  {
    name: 'ctx.constructor.constructor reaches only the guest realm',
    members: {
      listServers: `async listServers(input: any, ctx: any) {
        return ctx.constructor.constructor('return process.mainModule.require("child_process")')();
      }`,
    },
    check(outcome) {
      const error = errorOf(outcome);
      expect(error.code).toBe('OperationFailed');
      expect(error.message).toContain('ReferenceError: process is not defined');
    },
  },
  {
    name: 'Function("return this")() is the bare guest global: no process, require, module, Buffer',
    members: {
      listServers: `async listServers() {
        const g = Function('return this')();
        return { same: g === globalThis, process: typeof g.process, require: typeof g.require, module: typeof g.module,
          exports: typeof g.exports, Buffer: typeof g.Buffer, global: typeof g.global, globalRequire: typeof (globalThis as any).require };
      }`,
    },
    check(outcome) {
      expect(plain(resultOf(outcome))).toEqual({
        same: true,
        process: 'undefined',
        require: 'undefined',
        module: 'undefined',
        exports: 'undefined',
        Buffer: 'undefined',
        global: 'undefined',
        globalRequire: 'undefined',
      });
    },
  },
  {
    name: 'eval, indirect eval and the Function/AsyncFunction/GeneratorFunction constructors see no host globals',
    members: {
      listServers: `async listServers() {
        return [
          eval('typeof process'),
          (0, eval)('typeof require'),
          typeof (0, eval)('this').process,
          new Function('return typeof process')(),
          await (async function () {}).constructor('return typeof process')(),
          (function* () {}).constructor('yield typeof require')().next().value,
          Reflect.construct(Function, ['return typeof setTimeout'])(),
        ];
      }`,
    },
    check(outcome) {
      expect(plain(resultOf(outcome))).toEqual(Array(7).fill('undefined'));
    },
  },
  {
    name: 'eval("process.mainModule.require(…)") throws inside the guest and fails the operation',
    members: {
      listServers: `async listServers() { return (0, eval)('process.mainModule.require("child_process").execSync("id").toString()'); }`,
    },
    check(outcome) {
      const error = errorOf(outcome);
      expect(error.code).toBe('OperationFailed');
      expect(error.message).toContain('ReferenceError: process is not defined');
    },
  },
  {
    name: 'functions and errors the host hands over (ctx, console, a host-call rejection) are guest-realm objects',
    members: {
      listServers: `async listServers(input: any, ctx: any) {
        const viaCtor = (value: any) => value.constructor.constructor('return typeof process')();
        let hostError: any;
        try { await ctx.sleep(-1); } catch (error) { hostError = error; }
        return {
          ctxLog: viaCtor(ctx.log.info),
          ctxSleep: viaCtor(ctx.sleep),
          console: viaCtor(console.log),
          signal: viaCtor(ctx.signal.throwIfAborted),
          hostError: viaCtor(hostError),
          hostErrorIsGuestError: hostError instanceof Error && hostError.constructor === Error,
          hostErrorCode: hostError.code,
        };
      }`,
    },
    check(outcome) {
      expect(plain(resultOf(outcome))).toEqual({
        ctxLog: 'undefined',
        ctxSleep: 'undefined',
        console: 'undefined',
        signal: 'undefined',
        hostError: 'undefined',
        hostErrorIsGuestError: true,
        hostErrorCode: 'PermissionDenied',
      });
    },
  },
  {
    name: 'a computed dynamic import() (node:fs, data: URL, relative file, via eval) rejects inside the guest',
    members: {
      listServers: `async listServers() {
        const outcomes: string[] = [];
        const specifiers = [['node', 'fs'].join(':'), 'data:text/javascript,export default globalThis', './' + 'other.js'];
        for (const specifier of specifiers) {
          try { await import(specifier); outcomes.push('imported ' + specifier); }
          catch (error: any) { outcomes.push(error.name + ': ' + error.message); }
        }
        try { await (0, eval)('import("node:child_process")'); outcomes.push('imported via eval'); }
        catch (error: any) { outcomes.push(error.name + ': ' + error.message); }
        return outcomes;
      }`,
    },
    check(outcome) {
      const outcomes = plain(resultOf(outcome)) as string[];
      expect(outcomes).toHaveLength(4);
      for (const line of outcomes) expect(line).toMatch(/not supported/i);
    },
  },
  {
    name: 'no __prov_* global is reachable, neither while the bundle loads nor during an operation',
    prologue: `const prov = ${JSON.stringify(PROV_GLOBALS)};
const atLoad = prov.map((name) => typeof (globalThis as any)[name]);`,
    members: {
      listServers: `async listServers() {
        return {
          atLoad,
          now: prov.map((name) => typeof (globalThis as any)[name]),
          own: Object.getOwnPropertyNames(globalThis).filter((name) => name.startsWith('__prov')),
        };
      }`,
    },
    check(outcome) {
      expect(plain(resultOf(outcome))).toEqual({
        atLoad: PROV_GLOBALS.map(() => 'undefined'),
        now: PROV_GLOBALS.map(() => 'undefined'),
        // The bundle's own top-level `var`, emptied by the prelude; nothing else.
        own: ['__prov_extension'],
      });
    },
  },
  {
    name: 'SharedArrayBuffer, Atomics (Atomics.wait) and WebAssembly are gone',
    members: {
      listServers: `async listServers() {
        const g = globalThis as any;
        let wasm: string;
        try { new g.WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }); wasm = 'memory'; } catch (error: any) { wasm = error.name; }
        return {
          SharedArrayBuffer: typeof g.SharedArrayBuffer,
          Atomics: typeof g.Atomics,
          WebAssembly: typeof g.WebAssembly,
          listed: Object.getOwnPropertyNames(globalThis).filter((name) => ['SharedArrayBuffer', 'Atomics', 'WebAssembly'].includes(name)),
          wait: typeof g.Atomics?.wait,
          wasm,
        };
      }`,
    },
    check(outcome) {
      expect(plain(resultOf(outcome))).toEqual({
        SharedArrayBuffer: 'undefined',
        Atomics: 'undefined',
        WebAssembly: 'undefined',
        listed: [],
        wait: 'undefined',
        wasm: 'TypeError',
      });
    },
  },
  {
    name: 'no timers: setTimeout, setInterval, setImmediate, queueMicrotask and friends do not exist',
    members: {
      listServers: `async listServers() {
        const g = globalThis as any;
        return ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'queueMicrotask', 'requestAnimationFrame',
          'MessageChannel', 'structuredClone'].map((name) => name + ':' + typeof g[name]);
      }`,
    },
    check(outcome) {
      expect(plain(resultOf(outcome))).toEqual([
        'setTimeout:undefined',
        'setInterval:undefined',
        'setImmediate:undefined',
        'clearTimeout:undefined',
        'queueMicrotask:undefined',
        'requestAnimationFrame:undefined',
        'MessageChannel:undefined',
        'structuredClone:undefined',
      ]);
    },
  },
  {
    name: 'no network: fetch, XMLHttpRequest, WebSocket, Request do not exist',
    members: {
      listServers: `async listServers() {
        const g = globalThis as any;
        return ['fetch', 'XMLHttpRequest', 'WebSocket', 'Request', 'Response', 'Headers', 'EventSource', 'navigator']
          .map((name) => name + ':' + typeof g[name]);
      }`,
    },
    check(outcome) {
      expect(plain(resultOf(outcome))).toEqual([
        'fetch:undefined',
        'XMLHttpRequest:undefined',
        'WebSocket:undefined',
        'Request:undefined',
        'Response:undefined',
        'Headers:undefined',
        'EventSource:undefined',
        'navigator:undefined',
      ]);
    },
  },
  {
    name: 'Error.prepareStackTrace sees only guest frames and guest objects, also for errors made by host calls',
    members: {
      listServers: `async listServers(input: any, ctx: any) {
        const files = new Set<string>();
        const realms = new Set<string>();
        const realmOf = (value: any) => {
          if (value === undefined || value === null || (typeof value !== 'object' && typeof value !== 'function')) return 'none';
          try { return value.constructor.constructor('return typeof process')(); } catch { return 'unreadable'; }
        };
        (Error as any).prepareStackTrace = (error: any, sites: any[]) => {
          for (const site of sites) {
            files.add(String(site.getFileName() ?? 'none'));
            realms.add(realmOf(site.getThis()));
            realms.add(realmOf(site.getFunction()));
          }
          return 'guest-formatted';
        };
        const stacks: string[] = [];
        try { (null as any).x; } catch (error: any) { stacks.push(error.stack); }
        try { await ctx.sleep(-1); } catch (error: any) { stacks.push(error.stack); }
        const cyclic: any = {}; cyclic.self = cyclic;
        try { await ctx.log.info(cyclic); } catch (error: any) { stacks.push(error.stack); }
        try { await ctx.log.info('x'.repeat(9_000_000)); } catch (error: any) { stacks.push(error.stack); }
        return { stacks, files: [...files], realms: [...realms] };
      }`,
    },
    check(outcome) {
      const { stacks, files, realms } = plain(resultOf(outcome)) as { stacks: string[]; files: string[]; realms: string[] };
      expect(stacks).toEqual(Array(4).fill('guest-formatted'));
      for (const file of files) expect(file).toMatch(/^(prov:|none$)/);
      for (const realm of realms) expect(['none', 'undefined']).toContain(realm);
    },
  },
  {
    name: 'an Error.prepareStackTrace that throws cannot break the host: the failure is still reported',
    members: {
      listServers: `async listServers() {
        (Error as any).prepareStackTrace = () => { throw new Error('prepareStackTrace strikes'); };
        throw new Error('original');
      }`,
      getZones: `async getZones() { return 'zones'; }`,
    },
    async check(outcome, { ext }) {
      const error = errorOf(outcome);
      expect(error.code).toBe('OperationFailed');
      expect(error.message).toBe('test-ext list-servers failed: Error: an unprintable value was thrown');
      expect(resultOf(await attempt(ext, 'get-zones'))).toBe('zones');
    },
  },
  {
    name: 'a thrown Proxy whose traps throw is reported as OperationFailed',
    members: {
      listServers: `async listServers() {
        throw new Proxy({}, { get() { throw new Error('trap'); }, getPrototypeOf() { throw new Error('trap'); }, has() { throw new Error('trap'); } });
      }`,
    },
    check(outcome) {
      const error = errorOf(outcome);
      expect(error.code).toBe('OperationFailed');
      expect(error.message).toBe('test-ext list-servers failed: Error: an unprintable value was thrown');
    },
  },
  {
    name: 'ctx.log.info(function) and ctx.log.info(Symbol) reject inside the guest with a TypeError',
    members: {
      listServers: `async listServers(input: any, ctx: any) {
        const outcomes: string[] = [];
        for (const value of [function evil() {}, Symbol('evil')]) {
          try { await ctx.log.info(value); outcomes.push('resolved'); }
          catch (error: any) { outcomes.push(error.name + ': ' + error.message); }
        }
        return outcomes;
      }`,
    },
    check(outcome, { log }) {
      const outcomes = plain(resultOf(outcome)) as string[];
      expect(outcomes).toHaveLength(2);
      for (const line of outcomes) expect(line).toMatch(/^TypeError: ctx\.log\.info: arguments must be JSON data/);
      expect(log.messages).toEqual([]);
    },
  },
  {
    name: 'ctx.log.info(cyclic object) rejects inside the guest with a TypeError',
    members: {
      listServers: `async listServers(input: any, ctx: any) {
        const cyclic: any = { name: 'loop' }; cyclic.self = cyclic;
        try { await ctx.log.info(cyclic); return 'resolved'; }
        catch (error: any) { return error.name + ': ' + error.message; }
      }`,
    },
    check(outcome, { log }) {
      expect(resultOf(outcome)).toMatch(/^TypeError: ctx\.log\.info: arguments must be JSON data \(Converting circular structure to JSON/);
      expect(log.messages).toEqual([]);
    },
  },
  {
    name: 'a ~20 MB argument to ctx.log.info is refused (also through toJSON) and the host carries on',
    members: {
      listServers: `async listServers(input: any, ctx: any) {
        const big = 'x'.repeat(20 * 1024 * 1024);
        const outcomes: string[] = [];
        for (const value of [big, { toJSON: () => big }]) {
          try { await ctx.log.info(value); outcomes.push('resolved'); }
          catch (error: any) { outcomes.push(error.name + ': ' + error.message); }
        }
        return outcomes;
      }`,
      getZones: `async getZones(input: any, ctx: any) { await ctx.log.info('still here'); return 'zones'; }`,
    },
    async check(outcome, { ext, log }) {
      expect(plain(resultOf(outcome))).toEqual([
        'RangeError: ctx.log.info: arguments are larger than 8388608 characters',
        'RangeError: ctx.log.info: arguments are larger than 8388608 characters',
      ]);
      expect(log.messages).toEqual([]);
      expect(resultOf(await attempt(ext, 'get-zones'))).toBe('zones');
      expect(log.messages).toEqual(['still here']);
    },
  },
  {
    name: 'a log message just under the payload cap is accepted but cut to 64 KiB by the host',
    members: {
      listServers: `async listServers(input: any, ctx: any) { await ctx.log.info('y'.repeat(8_000_000)); return 'logged'; }`,
    },
    check(outcome, { log }) {
      expect(resultOf(outcome)).toBe('logged');
      expect(log.entries).toHaveLength(1);
      expect(log.messages[0]).toBe(`${'y'.repeat(64 * 1024)}… [cut]`);
    },
  },
  {
    name: 'returning a BigInt is OperationFailed',
    members: { listServers: `async listServers() { return { count: 10n }; }` },
    check(outcome) {
      const error = errorOf(outcome);
      expect(error.code).toBe('OperationFailed');
      expect(error.message).toBe('test-ext list-servers: the result is not JSON data: Do not know how to serialize a BigInt');
      expect(error.hint).toContain('Operations must return JSON data');
    },
  },
  {
    name: 'returning a cyclic object is OperationFailed',
    members: { listServers: `async listServers() { const o: any = { a: 1 }; o.self = o; return o; }` },
    check(outcome) {
      const error = errorOf(outcome);
      expect(error.code).toBe('OperationFailed');
      expect(error.message).toMatch(/^test-ext list-servers: the result is not JSON data: Converting circular structure to JSON/);
    },
  },
  {
    name: 'returning a function or a symbol is OperationFailed',
    members: {
      listServers: `async listServers() { return () => 'not data'; }`,
      getZones: `async getZones() { return Symbol('not data'); }`,
    },
    async check(outcome, { ext }) {
      for (const [error, operation] of [
        [errorOf(outcome), 'list-servers'],
        [errorOf(await attempt(ext, 'get-zones')), 'get-zones'],
      ] as const) {
        expect(error.code).toBe('OperationFailed');
        expect(error.message).toBe(`test-ext ${operation}: the result is not JSON data`);
      }
    },
  },
  {
    name: 'a result with __proto__ keys comes back as prototype-free plain data and pollutes nothing',
    members: {
      listServers: `async listServers() {
        return JSON.parse('{"__proto__":{"polluted":true},"a":1,"nested":{"__proto__":{"polluted":true},"b":2},"constructor":{"prototype":{"polluted":true}}}');
      }`,
    },
    check(outcome) {
      const result = resultOf(outcome) as Record<string, PlainValue>;
      expect(Object.getPrototypeOf(result)).toBeNull();
      expect(Object.keys(result)).toEqual(['a', 'nested', 'constructor']);
      expect(Object.getPrototypeOf(result['nested'])).toBeNull();
      expect(Object.keys(result['nested'] as object)).toEqual(['b']);
      expect(result['polluted']).toBeUndefined();
      expect(plain(result)).toEqual({ a: 1, nested: { b: 2 }, constructor: { prototype: { polluted: true } } });
      hostPrototypeIsClean();
    },
  },
  {
    name: 'ctx.extension is frozen: writes fail and later calls see the real identity',
    members: {
      listServers: `async listServers(input: any, ctx: any) {
        const outcome = (attempt: () => unknown) => { try { return attempt(); } catch (error: any) { return error.name; } };
        return {
          frozen: Object.isFrozen(ctx.extension),
          set: Reflect.set(ctx.extension, 'name', 'evil'),
          define: outcome(() => Object.defineProperty(ctx.extension, 'name', { value: 'evil' })),
          remove: Reflect.deleteProperty(ctx.extension, 'version'),
          replace: Reflect.set(ctx, 'extension', { name: 'evil' }),
          proto: outcome(() => Object.setPrototypeOf(ctx.extension, { name: 'evil' })),
          name: ctx.extension.name,
        };
      }`,
      getZones: `async getZones(input: any, ctx: any) { await ctx.log.info('who am i'); return ctx.extension; }`,
    },
    async check(outcome, { ext, log }) {
      expect(plain(resultOf(outcome))).toEqual({
        frozen: true,
        set: false,
        define: 'TypeError',
        remove: false,
        replace: false,
        proto: 'TypeError',
        name: 'test-ext',
      });
      expect(plain(resultOf(await attempt(ext, 'get-zones')))).toEqual({
        name: 'test-ext',
        type: 'provider',
        version: '0.1.0',
        description: 'test extension',
      });
      expect(log.entries.map((entry) => entry.extension)).toEqual(['test-ext']);
      expect(ext.identity.name).toBe('test-ext');
    },
  },
  {
    name: 'Object.prototype.toJSON forging the operation outcome cannot produce PermissionDenied (exit 4)',
    members: {
      // The prelude JSON-encodes a failed operation's outcome: Object.prototype.toJSON lets the guest rewrite it.
      listServers: `async listServers() {
        (Object.prototype as any).toJSON = function (this: any) {
          if (this && this.status === 'thrown') {
            return { status: 'thrown', error: { name: 'ProvError', message: 'forged denial', stack: '', code: 'PermissionDenied' } };
          }
          return this;
        };
        throw new Error('real failure');
      }`,
      getZones: `async getZones() {
        (Object.prototype as any).toJSON = function (this: any) {
          if (this && this.status === 'thrown') return { status: 'permission-denied', code: 'PermissionDenied', message: 'forged' };
          return this;
        };
        throw new Error('real failure');
      }`,
    },
    async check(outcome, { ext }) {
      const forgedThrown = errorOf(outcome);
      expect(forgedThrown.code).toBe('OperationFailed');
      expect(forgedThrown.exitCode).toBe(1);
      expect(forgedThrown.message).toContain('forged denial');
      const forgedStatus = errorOf(await attempt(ext, 'get-zones'));
      expect(forgedStatus.code).toBe('OperationFailed');
      expect(forgedStatus.exitCode).toBe(1);
    },
  },
  {
    name: 'a guest that sabotages the prelude\'s reply is blamed on the extension (OperationFailed), not on prov',
    members: {
      // Encoding the (failed) outcome throws, so __prov_run itself rejects.
      listServers: `async listServers() {
        (Object.prototype as any).toJSON = function (this: any) {
          if (this && typeof this.status === 'string') throw new Error('no reply for you');
          return this;
        };
        throw new Error('planned failure');
      }`,
      getZones: `async getZones() { return 'zones'; }`,
    },
    async check(outcome, { ext }) {
      const error = errorOf(outcome);
      expect(error.code).toBe('OperationFailed');
      expect(error.isUserError).toBe(true);
      expect(resultOf(await attempt(ext, 'get-zones'))).toBe('zones');
    },
  },
];

describe('sandbox escapes', () => {
  for (const testCase of escapeCases) {
    it(testCase.name, async () => {
      const harness = await load(testCase);
      const outcome = await attempt(harness.ext, 'list-servers');
      await testCase.check(outcome, harness);
      hostPrototypeIsClean();
    });
  }

  it('a static import("node:fs") is refused by the build: BuildFailed, nothing loads', async () => {
    const dir = await writeExtension({
      members: { listServers: `async listServers() { const fs = await import('node:fs'); return typeof fs.readFileSync; }` },
    });
    const error = await loadExtension(dir, { log: new CollectingLogSink() }).then(
      (extension) => {
        loaded.push(extension);
        return expect.fail('the extension loaded');
      },
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ProvError);
    expect((error as ProvError).code).toBe('BuildFailed');
    expect((error as ProvError).message).toContain('"node:fs" is a Node.js built-in');
  });

  it('input with __proto__ (parsed as the CLI does) reaches the guest as plain data and pollutes nothing', async () => {
    const { ext } = await load({
      members: {
        listServers: `async listServers(input: any) {
          return { keys: Object.keys(input), inputPolluted: input.polluted ?? null, guestPolluted: ({} as any).polluted ?? null,
            protoIsObject: Object.getPrototypeOf(input) === Object.prototype };
        }`,
      },
    });
    const input = parseInputJson('{"__proto__":{"polluted":true},"b":2,"constructor":{"prototype":{"polluted":true}}}');
    expect(Object.getPrototypeOf(input)).toBeNull();
    expect(Object.keys(input as object)).toEqual(['b', 'constructor']);
    expect(plain(resultOf(await attempt(ext, 'list-servers', input)))).toEqual({
      keys: ['b', 'constructor'],
      inputPolluted: null,
      guestPolluted: null,
      protoIsObject: true,
    });
    hostPrototypeIsClean();
  });

  it('host calls fired without await before returning are not run after the operation ends; later calls work', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const { ext, log } = await load({
        members: {
          listServers: `async listServers(input: any, ctx: any) {
            (globalThis as any).sleepState = 'pending';
            ctx.sleep(300).then(
              () => { (globalThis as any).sleepState = 'resolved'; ctx.log.info('late: after the sleep'); },
              (error: any) => { (globalThis as any).sleepState = 'rejected: ' + error.message; ctx.log.info('late: sleep rejected'); },
            );
            ctx.log.info('before return');
            return 'returned';
          }`,
          getZones: `async getZones(input: any, ctx: any) {
            await ctx.sleep(20);
            await ctx.log.info('second operation');
            return (globalThis as any).sleepState;
          }`,
        },
      });
      expect(resultOf(await attempt(ext, 'list-servers'))).toBe('returned');
      await delay(500); // well past the 300 ms the sleep asked for
      // Never resolved: the sleep was cancelled when list-servers ended, and nothing it chained ran.
      expect(resultOf(await attempt(ext, 'get-zones'))).not.toBe('resolved');
      expect(log.messages).toEqual(['before return', 'second operation']);
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('a microtask loop left spinning after the operation returns is ended with its isolate; the next call works', async () => {
    const { ext } = await load({
      manifestExtra: '[limits]\ntimeout_ms = 1000\n',
      members: {
        listServers: `async listServers() {
          (globalThis as any).__marker = 'the spinning isolate';
          (async () => { for (;;) await null; })();
          return 'returned';
        }`,
        getZones: `async getZones() { return (globalThis as any).__marker ?? 'a fresh isolate'; }`,
      },
    });
    try {
      expect(resultOf(await attempt(ext, 'list-servers'))).toBe('returned');
      // The host watches an isolate after its operation: past 50 ms of CPU with no operation running, it is ended.
      await delay(500);
      expect(resultOf(await attempt(ext, 'get-zones'))).toBe('a fresh isolate');
    } finally {
      ext.sandbox.dispose();
    }
  });

  it('a ctx kept from an earlier operation is dead: its calls are dropped and never settle', async () => {
    const { ext, log } = await load({
      members: {
        listServers: `async listServers(input: any, ctx: any) { (globalThis as any).oldCtx = ctx; return 'kept'; }`,
        getZones: `async getZones(input: any, ctx: any) {
          const old = (globalThis as any).oldCtx;
          old.log.error('from a dead ctx');
          old.sleep(0).then(() => { (globalThis as any).staleSleep = 'resolved'; }, () => { (globalThis as any).staleSleep = 'rejected'; });
          await ctx.sleep(50);
          await ctx.log.info('from the live ctx');
          return (globalThis as any).staleSleep ?? 'never';
        }`,
      },
    });
    expect(resultOf(await attempt(ext, 'list-servers'))).toBe('kept');
    expect(resultOf(await attempt(ext, 'get-zones'))).not.toBe('resolved');
    expect(log.messages).toEqual(['from the live ctx']);
  });

  it('a guest that hijacks the describe helper global cannot make `info` fail with a host error', async () => {
    const { ext } = await load({
      prologue: `Object.defineProperty(globalThis, '__prov_toJSONSchema', { get() { return undefined; }, configurable: false });`,
      members: {},
    });
    let outcome: unknown;
    try {
      outcome = await runOperation(ext, 'info', undefined);
    } catch (error) {
      outcome = error;
    }
    if (outcome instanceof Error) {
      // Refusing is fine, but as a ProvError blaming the extension, never a raw host exception ("a bug in prov").
      expect(outcome).toBeInstanceOf(ProvError);
      expect((outcome as ProvError).code).toBe('OperationFailed');
    } else {
      const info = (outcome as { result: { operations: unknown[] } }).result;
      expect(info.operations).toHaveLength(12);
    }
  });
});

// ---------------------------------------------------------------- through the CLI

function stderrLines(run: CliResult): string[] {
  return run.stderr.split('\n').filter((line) => line !== '');
}

/** Anything a terminal would act on, except the newline that ends each of prov's own lines. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('sandbox escapes through the CLI', () => {
  it('a guest throwing { code: "PermissionDenied" } gets exit 1 and OperationFailed with --json', async () => {
    const dir = await writeExtension({
      members: {
        listServers: `async listServers() { throw { code: 'PermissionDenied', name: 'PermissionDenied', message: 'fake denial', exitCode: 4 }; }`,
      },
    });
    const run = await runProv(['run', dir, 'list-servers', '--json']);
    expect(run.code).toBe(1);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(run.json.ok).toBe(false);
    expect(run.json.error.code).toBe('OperationFailed');
    expect(run.json.error.message).toBe('test-ext list-servers failed: PermissionDenied: fake denial');
    expect(run.json.error.details.extensionCode).toBe('PermissionDenied');
  });

  it('an operation that fails on a real host denial (ctx.sleep(-1), uncaught) exits 4 with PermissionDenied', async () => {
    const dir = await writeExtension({
      members: { listServers: `async listServers(input: any, ctx: any) { await ctx.sleep(-1); return 'unreachable'; }` },
    });
    const run = await runProv(['run', dir, 'list-servers', '--json']);
    expect({ exit: run.code, code: run.json?.error?.code }).toEqual({ exit: 4, code: 'PermissionDenied' });
    expect(run.json.error.message).toContain('ctx.sleep(ms) needs a finite number of milliseconds');
  });

  it('control characters, ANSI escapes and forged lines in logs are escaped on stderr; __proto__ input pollutes nothing', async () => {
    const dir = await writeExtension({
      members: {
        listServers: String.raw`async listServers(input: any, ctx: any) {
          await ctx.log.info('\x1b[31mred\x1b[0m \x07bell \x9b2J \rcarriage \u202eevil \u0000nul\n✓ fake success');
          await ctx.log.warn('fields', { k: '\x1b[1m\u202e\n✓ fake field' });
          console.error('console \x1b]0;title\x07');
          return { seen: Object.keys(input) };
        }`,
      },
    });
    // If the host's Object.prototype got `plan`, the CLI would print a check-mode plan for a normal run.
    const pollution = JSON.stringify([{ capability: 'http', target: 'POLLUTED', summary: 'POLLUTED' }]);
    const input = `{"__proto__":{"plan":${pollution},"polluted":true},"constructor":{"prototype":{"plan":${pollution}}},"a":1}`;
    const run = await runProv(['run', dir, 'list-servers', '--input', input]);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(RAW_CONTROL);
    const lines = stderrLines(run);
    // The whole message stays on its own [info] line, escaped.
    expect(lines.filter((line) => line.startsWith('[info] test-ext: ') && line.includes('red') && line.includes('evil') && line.endsWith('fake success'))).toHaveLength(1);
    expect(lines.filter((line) => line.startsWith('[error] test-ext: console ') && line.includes('title'))).toHaveLength(1);
    for (const line of lines) expect(line).toMatch(/^(\[(info|warn|error)\] test-ext: |✓ test-ext list-servers: no change \(\d+ ms\)$)/);
    expect(lines.filter((line) => line.startsWith('✓'))).toHaveLength(1);
    expect(run.stderr).not.toContain('POLLUTED');
    expect(run.stderr).not.toContain('check mode');
    expect(JSON.parse(run.stdout)).toEqual({ seen: ['constructor', 'a'] });
  });

  it('a thrown error message with "\\n✓ fake success" and ANSI escapes cannot forge a line on stderr', async () => {
    const dir = await writeExtension({
      members: { listServers: String.raw`async listServers() { throw new Error('boom\n✓ fake success\x1b[2J'); }` },
    });
    const run = await runProv(['run', dir, 'list-servers']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error[OperationFailed]: test-ext list-servers failed: Error: boom');
    expect(run.stderr).not.toMatch(RAW_CONTROL);
    expect(stderrLines(run).filter((line) => line.includes('fake success') && !line.startsWith('error['))).toEqual([]);
  });

  it('--input \'{"__proto__":{"polluted":true}}\' reaches the guest as an empty plain object', async () => {
    const dir = await writeExtension({
      members: {
        listServers: `async listServers(input: any) {
          return { keys: Object.keys(input), inputPolluted: input.polluted ?? null, guestPolluted: ({} as any).polluted ?? null };
        }`,
      },
    });
    const run = await runProv(['run', dir, 'list-servers', '--input', '{"__proto__":{"polluted":true}}', '--json']);
    expect(run.code).toBe(0);
    expect(run.json).toEqual({ ok: true, result: { keys: [], inputPolluted: null, guestPolluted: null }, changed: false });
  });
});
