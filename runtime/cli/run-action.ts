import type { Command } from 'commander';
import { z } from 'zod';
import { toCamelCase, toKebabCase } from '../data/operation-names.js';
import type { PlainValue } from '../data/plain-data.js';
import { requireServer } from '../inventory/require-server.js';
import { ProvError } from '../errors/index.js';
import { resolveExtension } from '../extension/extension-source.js';
import { readInventory } from '../inventory/read-inventory.js';
import { EXTENSION_KINDS, type ExtensionKind } from '../manifest/manifest-schema.js';
import { parseInputJson, readConfigFile } from '../run/read-input.js';
import { loadExtension, type LoadedExtension } from '../extension/load-extension.js';
import { forgetProvidedServer, recordProvidedServer } from '../inventory/record-provided-server.js';
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
});

/** The options of `prov run` and of the kind verbs (`prov provider …`, `prov taskserv …`). */
export function addRunOptions(command: Command): Command {
  return addGrantOptions(command)
    .option('--input <json>', 'the operation\'s input as JSON')
    .option('--config <file>', 'the operation\'s input from a .json or .toml file')
    .option('--check', 'dry run: no mutating call is performed; the result carries the plan')
    .option('--json', 'print one JSON document on stdout')
    .option('--verbose', 'also print the extension\'s debug logs')
    .option('--server <name>', 'the inventory server the operation acts on (ctx.target)')
    .option('--wait', 'provider create/start/stop/reboot/delete-server: poll get-server-info until the server is running, stopped or gone')
    .option('--timeout <seconds>', 'how long --wait waits', '600')
    .option('--poll <seconds>', 'how often --wait asks', '2');
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
  const operator = await operatorSetup(cli, options, { name, type: actual, dir: source.dir, registered: source.origin === 'registry' });
  const inventory = readInventory(cli.env);
  requireServer(inventory, options.server);
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
    const call = { ...(options.server === undefined ? {} : { target: { name: options.server } }), check: options.check, signal: cancel.signal };
    const operated = await runOperation(extension, operation, input, call);
    let outcome = { identity: extension.identity, ...operated };
    if (options.wait && !options.check) {
      const id = toCamelCase(operation) === 'createServer' ? (outcome.result as { id?: unknown } | null)?.id : (input as { id?: unknown } | undefined)?.id;
      if (typeof id !== 'string') throw new ProvError('OperationFailed', `--wait needs the server's id, and ${toKebabCase(operation)} gave none`, { hint: 'Wait with get-server-info by hand.' });
      let waited;
      try {
        waited = await waitForServer(extension, id, want!, { ...call, intervalMs: options.poll * 1000, timeoutMs: options.timeout * 1000, onPoll: waitProgress(cli, id, want!) });
      } catch (error) {
        // The server was created even if it never came up in time: the inventory knows it, so it can be found and deleted.
        if (toCamelCase(operation) === 'createServer') {
          const notice = await keepInventory(cli, extension, 'createServer', input, operated.result, call).catch(() => undefined);
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
      const notice = await keepInventory(cli, extension, toCamelCase(operation), input, said, call);
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
async function keepInventory(cli: CommandContext, extension: LoadedExtension, operation: string, input: PlainValue | undefined, result: PlainValue, call: CallOptions): Promise<string | undefined> {
  const provider = extension.identity.name;
  if (operation === 'createServer') {
    const outcome = await recordProvidedServer(provider, result, async (id) => (await runOperation(extension, 'getSshAccess', { id }, call)).result, cli.env);
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
