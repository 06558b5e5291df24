import path from 'node:path';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { toCamelCase, toKebabCase } from '../data/operation-names.js';
import { toPlainData, type PlainValue } from '../data/plain-data.js';
import { selectServers } from '../inventory/require-server.js';
import { SERVER_NAME } from '../inventory/server-record.js';
import { ProvError, toProvError } from '../errors/index.js';
import { resolveExtension } from '../extension/extension-source.js';
import { readInventory } from '../inventory/read-inventory.js';
import { EXTENSION_KINDS, type ExtensionKind } from '../manifest/manifest-schema.js';
import { parseInputJson, readConfigFile } from '../run/read-input.js';
import { loadExtension, type LoadedExtension } from '../extension/load-extension.js';
import { forgetProvidedServer, recordProvidedServer, type CreatedServerOptions } from '../inventory/record-provided-server.js';
import type { PlanEntry } from '../sandbox/operation-result.js';
import { runOperation } from '../run/run-operation.js';
import { SETTLED_STATUS, waitForServer } from '../run/wait-for-server.js';
import type { CallOptions } from '../sandbox/extension-sandbox.js';
import { escapeControl } from '../data/control-characters.js';
import { codeCacheDir } from '../state/prov-home.js';
import { OPTIONAL_OPERATIONS, REQUIRED_OPERATIONS } from '../validate/required-operations.js';
import type { CommandContext } from './command-context.js';
import { addGrantOptions, grantOptionsSchema, operatorSetup } from './grant-options.js';
import { printHumanOutcome, printJsonSuccess } from './output.js';
import { parseOptions } from './parse-options.js';
import { StderrLogSink } from './stderr-log-sink.js';

const optionsSchema = grantOptionsSchema.extend({
  input: z.string().optional(),
  config: z.string().optional(),
  check: z.boolean().default(false),
  json: z.boolean().default(false),
  verbose: z.boolean().default(false),
  server: z.string().optional(),
  type: z.enum(EXTENSION_KINDS).optional(),
  wait: z.boolean().default(false),
  timeout: z.coerce.number().positive().default(600),
  poll: z.coerce.number().positive().default(2),
  identity: z.string().optional(),
  tag: z.array(z.string().regex(SERVER_NAME, 'tags are lower-case letters, digits, ".", "_", "-"')).default([]),
});

/** The options of `prov run` and of the kind verbs (`prov provider …`, `prov taskserv …`). */
export function addRunOptions(command: Command): Command {
  return addGrantOptions(command)
    .option('--input <json>', 'the operation\'s input as JSON')
    .option('--config <file>', 'the operation\'s input from a .json or .toml file')
    .option('--check', 'dry run: no mutating call is performed; the result carries the plan')
    .option('--json', 'print one JSON document on stdout')
    .option('--verbose', 'also print the extension\'s debug logs')
    .option('--server <name>', 'the inventory server the operation acts on (ctx.target); tag:T runs it on each server tagged T in turn, stopping at the first failure')
    .option('--wait', 'provider create/start/stop/reboot/delete-server: poll get-server-info until the server is running, stopped or gone')
    .option('--timeout <seconds>', 'how long --wait waits', '600')
    .option('--poll <seconds>', 'how often --wait asks', '2')
    .option('--identity <key>', 'provider create-server: the private key prov logs in to the new server with (default: your ssh config and agent)')
    .addOption(new Option('--tag <tag>', 'provider create-server: a tag for the new server in the inventory (repeatable)').argParser(collect));
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * Runs one operation of an extension (a registered name or a directory) and
 * prints its outcome. With `kind`, the extension must be of that kind and
 * the operation one of its kind's (the seed's verbs: `prov provider
 * create-server hetzner`).
 */
export async function runAction(cli: CommandContext, reference: string, operation: string, raw: unknown, kind?: ExtensionKind): Promise<void> {
  const options = parseOptions(optionsSchema, raw);
  cli.json = options.json;
  if (options.input !== undefined && options.config !== undefined) {
    throw new ProvError('Usage', '--input and --config cannot be used together', {
      hint: 'Give the input either inline (--input JSON) or from a file (--config FILE).',
    });
  }
  if (kind !== undefined) checkKindOperation(kind, operation);
  let input: PlainValue | undefined;
  if (options.input !== undefined) input = parseInputJson(options.input);
  else if (options.config !== undefined) input = await readConfigFile(options.config);

  const type = kind ?? options.type;
  const source = await resolveExtension(reference, { env: cli.env, ...(type === undefined ? {} : { type }) });
  const { name, type: actual } = source.loaded.manifest.extension;
  if (kind !== undefined && actual !== kind) {
    throw new ProvError('Usage', `${name} is a ${actual}, not a ${kind}`, { hint: `Use prov ${actual} <operation> ${reference}, or prov run ${reference} <operation>.` });
  }
  const want = SETTLED_STATUS[toCamelCase(operation)];
  if (options.wait && (actual !== 'provider' || want === undefined)) {
    throw new ProvError('Usage', `--wait applies to a provider's ${Object.keys(SETTLED_STATUS).map(toKebabCase).join(', ')}`, { hint: 'Leave --wait out for this operation.' });
  }
  const creates = actual === 'provider' && toCamelCase(operation) === 'createServer';
  if (!creates && (options.identity !== undefined || options.tag.length > 0)) {
    throw new ProvError('Usage', '--identity and --tag describe the server a provider\'s create-server makes', { hint: 'Leave them out for this operation; prov server add tags servers added by hand.' });
  }
  if (options.server?.startsWith('tag:') && (actual === 'provider' || options.wait)) {
    // A provider's operation on each of several servers would create or delete servers prov never records.
    throw new ProvError('Usage', `--server ${options.server} runs a task service's operation on each tagged server; a provider's operations act once`, { hint: 'Leave --server out, or name one server.' });
  }
  const operator = await operatorSetup(cli, options, { name, type: actual, dir: source.dir, registered: source.origin === 'registry' });
  const inventory = readInventory(cli.env);
  const targets = options.server === undefined ? undefined : selectServers(inventory, options.server);
  const started = performance.now();
  const extension = await loadExtension(source, {
    log: new StderrLogSink(options.verbose ? 'debug' : 'info', cli.io.stderr),
    codeCacheDir: codeCacheDir(cli.env),
    env: cli.env,
    grant: operator.grant,
    limitCaps: operator.limitCaps,
    prompter: operator.prompter,
    recordAlways: operator.recordAlways,
    reservedPaths: [operator.policyFile],
    inventory,
  });
  const cancel = new AbortController();
  const onSigint = () => cancel.abort();
  process.once('SIGINT', onSigint);
  try {
    if (targets !== undefined && options.server!.startsWith('tag:')) {
      await runOnEach(cli, extension, operation, input, targets.map((server) => server.name), { check: options.check, signal: cancel.signal, json: options.json, started });
      return;
    }
    const call = { ...(options.server === undefined ? {} : { target: { name: options.server } }), check: options.check, signal: cancel.signal };
    const operated = await runOperation(extension, operation, input, call);
    let outcome = { identity: extension.identity, ...operated };
    const created: CreatedServerOptions = { identity: options.identity === undefined ? null : path.resolve(options.identity), tags: options.tag };
    if (options.wait && !options.check) {
      const id = creates ? (outcome.result as { id?: unknown } | null)?.id : (input as { id?: unknown } | undefined)?.id;
      if (typeof id !== 'string') throw new ProvError('OperationFailed', `--wait needs the server's id, and ${toKebabCase(operation)} gave none`, { hint: 'Wait with get-server-info by hand.' });
      let waited;
      try {
        waited = await waitForServer(extension, id, want!, { ...call, intervalMs: options.poll * 1000, timeoutMs: options.timeout * 1000, onPoll: waitProgress(cli, id, want!) });
      } catch (error) {
        // The server was created even if it never came up in time: the inventory knows it, so it can be found and deleted.
        if (creates) {
          const notice = await keepInventory(cli, extension, 'createServer', input, operated.result, call, created).catch(() => undefined);
          if (notice !== undefined) cli.io.stderr.write(`note: ${escapeControl(notice)}\n`);
        }
        throw error;
      }
      if (waited.info !== null) outcome = { ...outcome, result: waited.info };
    }
    if (actual === 'provider' && !options.check) {
      // What the operation said, updated by what the wait saw last (an address a new server got meanwhile).
      const said = operated.result !== null && typeof operated.result === 'object' && !Array.isArray(operated.result) && outcome.result !== null && typeof outcome.result === 'object' && !Array.isArray(outcome.result)
        ? { ...operated.result, ...outcome.result }
        : outcome.result;
      const notice = await keepInventory(cli, extension, toCamelCase(operation), input, said, call, created);
      if (notice !== undefined) cli.io.stderr.write(`note: ${escapeControl(notice)}\n`);
    }
    if (options.json) {
      printJsonSuccess(cli.io, { result: outcome.result, changed: outcome.changed, ...(outcome.plan === undefined ? {} : { plan: outcome.plan }) });
      return;
    }
    printHumanOutcome(cli.io, `${outcome.identity.name} ${toKebabCase(operation)}`, outcome, Math.round(performance.now() - started));
  } finally {
    extension.sandbox.dispose();
    process.removeListener('SIGINT', onSigint);
  }
}

/**
 * `--server tag:T`: the operation on each selected server in turn, in the
 * same sandbox (only `ctx.target` changes). It stops at the first server
 * that fails, as a rolling change does, so a broken install does not reach
 * the rest; the error says which servers were done and which not tried.
 */
async function runOnEach(
  cli: CommandContext,
  extension: LoadedExtension,
  operation: string,
  input: PlainValue | undefined,
  servers: string[],
  options: { check: boolean; signal: AbortSignal; json: boolean; started: number },
): Promise<void> {
  const done: { server: string; result: PlainValue; changed: boolean; plan?: PlanEntry[] }[] = [];
  for (const server of servers) {
    if (!options.json) cli.io.stdout.write(`${escapeControl(server)}:\n`);
    let operated;
    try {
      operated = await runOperation(extension, operation, input, { target: { name: server }, check: options.check, signal: options.signal });
    } catch (error) {
      const failed = toProvError(error);
      const rest = servers.slice(done.length + 1);
      throw new ProvError(failed.code, `${toKebabCase(operation)} failed on ${server}: ${failed.message}`, {
        hint: `${done.length === 0 ? 'No server was done' : `Done before it: ${done.map((each) => each.server).join(', ')}`}; ${rest.length === 0 ? 'it was the last one' : `not tried: ${rest.join(', ')}`}. ${failed.hint ?? ''}`.trim(),
        details: { server, done: done.map((each) => each.server), not_tried: rest, error: failed.toJSON() as unknown as Record<string, unknown> },
      });
    }
    done.push({ server, result: operated.result, changed: operated.changed, ...(operated.plan === undefined ? {} : { plan: operated.plan }) });
    if (!options.json) printHumanOutcome(cli.io, `${extension.identity.name} ${toKebabCase(operation)} on ${server}`, operated, Math.round(performance.now() - options.started));
  }
  if (options.json) {
    const plan = done.flatMap((each) => each.plan ?? []);
    printJsonSuccess(cli.io, { result: toPlainData(done), changed: done.some((each) => each.changed), ...(options.check ? { plan } : {}) });
  }
}

/** `--wait` progress: one line rewritten in place on a terminal, a line per change of status otherwise. */
function waitProgress(cli: CommandContext, id: string, want: string): (status: string, elapsedMs: number) => void {
  const tty = (cli.io.stderr as { isTTY?: boolean }).isTTY === true;
  let last: string | undefined;
  return (status, elapsedMs) => {
    const text = `waiting for ${escapeControl(id)} to be ${want}: ${escapeControl(status)} (${Math.round(elapsedMs / 1000)} s)`;
    if (tty) cli.io.stderr.write(`\r\x1b[2K${text}${status === want ? '\n' : ''}`);
    else if (status !== last) cli.io.stderr.write(`${text}\n`);
    last = status;
  };
}

/**
 * A provider's servers in the inventory: what createServer made is
 * recorded (SSH access from its result or from getSshAccess, in the same
 * sandbox), what deleteServer removed is forgotten. Returns what to tell.
 */
async function keepInventory(cli: CommandContext, extension: LoadedExtension, operation: string, input: PlainValue | undefined, result: PlainValue, call: CallOptions, created: CreatedServerOptions): Promise<string | undefined> {
  const provider = extension.identity.name;
  if (operation === 'createServer') {
    const outcome = await recordProvidedServer(provider, result, async (id) => (await runOperation(extension, 'getSshAccess', { id }, call)).result, cli.env, created);
    const recorded = outcome.recorded === undefined ? undefined : `${outcome.recorded.name} is in the inventory (${outcome.recorded.user}@${outcome.recorded.host}:${outcome.recorded.port}, ${provider} id ${outcome.recorded.provider!.id})`;
    return [recorded, outcome.notice].filter((part) => part !== undefined).join('; ') || undefined;
  }
  if (operation === 'deleteServer') {
    const id = (input as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string') return undefined;
    const removed = forgetProvidedServer(provider, id, cli.env);
    return removed.length === 0 ? undefined : `${removed.join(', ')} removed from the inventory`;
  }
  return undefined;
}

/** The seed's verbs take only their kind's operations (and `info`), in either spelling. */
function checkKindOperation(kind: ExtensionKind, operation: string): void {
  const known = ['info', ...REQUIRED_OPERATIONS[kind], ...OPTIONAL_OPERATIONS[kind]];
  if (known.includes(toCamelCase(operation))) return;
  throw new ProvError('Usage', `"${operation}" is not a ${kind} operation`, {
    hint: `A ${kind} has: ${known.map(toKebabCase).join(', ')}. Other exported operations run with prov run <name> <operation>.`,
  });
}
