import { Command } from 'commander';
import path from 'node:path';
import { z } from 'zod';
import { denyingPrompter } from '../../../host-api/policy/prompter.js';
import type { PlainValue } from '../../data/plain-data.js';
import { stopBuildService } from '../../build/incremental-bundler.js';
import { DevEnv } from '../../dev/dev-env.js';
import type { TestSummary } from '../../dev/dev-events.js';
import { runExtensionTests, type ExtensionTestReport } from '../../testing/run-extension-tests.js';
import { Writable } from 'node:stream';
import { requireServer } from '../../inventory/require-server.js';
import { ProvError } from '../../errors/index.js';
import { readInventory } from '../../inventory/read-inventory.js';
import { readManifest } from '../../manifest/read-manifest.js';
import { parseInputJson } from '../../run/read-input.js';
import { codeCacheDir } from '../../state/prov-home.js';
import { realPath } from '../../state/real-path.js';
import { chokidarWatcher } from '../chokidar-watcher.js';
import type { CommandContext } from '../command-context.js';
import { DevReporter } from '../dev-reporter.js';
import { addGrantOptions, grantOptionsSchema, operatorSetup } from '../grant-options.js';
import { parseOptions } from '../parse-options.js';
import { StderrLogSink } from '../stderr-log-sink.js';

const optionsSchema = grantOptionsSchema.extend({
  run: z.string().optional(),
  input: z.string().optional(),
  check: z.boolean().default(true),
  server: z.string().optional(),
  verbose: z.boolean().default(false),
  test: z.boolean().default(false),
});

/**
 * `prov dev [dir]`: watch, rebuild, validate, reload, and run `--run` on
 * every change; never exits on an error; Ctrl-C ends it cleanly.
 */
export function devCommand(cli: CommandContext): Command {
  return addGrantOptions(new Command('dev'))
    .description('watch an extension: rebuild, validate, hot-reload and re-run on every change; never exits on an error')
    .argument('[dir]', 'extension directory', '.')
    .option('--run <operation>', 'run this operation after each reload (in check mode unless --no-check)')
    .option('--input <json>', 'the --run operation\'s input as JSON')
    .option('--no-check', 'run the --run operation for real instead of in check mode')
    .option('--server <name>', 'the inventory server --run acts on (ctx.target)')
    .option('--test', 'run the extension\'s tests (prov test) after each reload')
    .option('--verbose', 'also print the extension\'s debug logs')
    .action(async (dirArgument: string, raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      if (options.input !== undefined && options.run === undefined) {
        throw new ProvError('Usage', '--input needs --run', { hint: 'Name the operation to run after each reload: prov dev --run get-plans --input \'{…}\'' });
      }
      const input: PlainValue | undefined = options.input === undefined ? undefined : parseInputJson(options.input);
      const dir = path.resolve(dirArgument);
      // The grant is the operator's for this extension; a manifest broken at start is reported by the first cycle.
      const identity = await readManifest(dir).then(
        ({ manifest }) => ({ name: manifest.extension.name, type: manifest.extension.type }),
        () => ({ name: path.basename(dir), type: 'provider' as const }),
      );
      const operator = await operatorSetup(cli, options, { ...identity, dir: realPath(dir) });
      const inventory = readInventory(cli.env);
      requireServer(inventory, options.server);
      const reporter = new DevReporter(cli.io, dir);
      const env = new DevEnv({
        dir,
        watch: chokidarWatcher,
        load: {
          log: new StderrLogSink(options.verbose ? 'debug' : 'info', cli.io.stderr),
          codeCacheDir: codeCacheDir(cli.env),
          env: cli.env,
          grant: operator.grant,
          limitCaps: operator.limitCaps,
          prompter: denyingPrompter, // a watch loop never stops to ask: a denial shows the line to add
          reservedPaths: [operator.policyFile],
          inventory,
        },
        ...(options.run === undefined ? {} : {
          run: { operation: options.run, check: options.check, ...(input === undefined ? {} : { input }), ...(options.server === undefined ? {} : { target: { name: options.server } }) },
        }),
        ...(options.test ? { test: serialTests(dir) } : {}),
        onEvent: (event) => reporter.onEvent(event),
      });
      const after = [options.run === undefined ? undefined : `running ${options.run}${options.check ? ' in check mode' : ''}`, options.test ? 'its tests' : undefined].filter(Boolean);
      cli.io.stderr.write(`prov dev: watching ${dir}${after.length === 0 ? '' : `, ${after.join(' and ')} after each reload`} (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve, reject) => {
        const stop = () => {
          process.removeListener('SIGINT', stop);
          process.removeListener('SIGTERM', stop);
          env.close().then(stopBuildService).then(resolve, reject);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        env.start().catch((error: unknown) => {
          process.removeListener('SIGINT', stop);
          process.removeListener('SIGTERM', stop);
          env.close().finally(() => reject(error));
        });
      });
    });
}

/**
 * `--test`: the extension's tests after each reload, one run at a time (a
 * run a newer change made stale is not started; one already running
 * finishes, and its result is dropped by the dev loop).
 */
function serialTests(dir: string): (signal: AbortSignal) => Promise<TestSummary> {
  let queue: Promise<unknown> = Promise.resolve();
  return (signal) => {
    const run = queue.then(async (): Promise<TestSummary> => {
      if (signal.aborted) throw new ProvError('Cancelled', 'a newer change replaced this cycle');
      let output = '';
      const sink = new Writable({ write(chunk, _encoding, done) { output += String(chunk); done(); } });
      let report: ExtensionTestReport;
      try {
        report = await runExtensionTests(dir, { report: sink, errors: sink });
      } catch (error) {
        if (!(error instanceof ProvError) || error.code !== 'TestsFailed') throw error;
        report = (error.details as { report: ExtensionTestReport }).report;
      }
      const failures = report.failures.map((failure) => `  ✗ ${failure.file} > ${failure.test ?? '(file)'}: ${failure.message.split('\n')[0]}`);
      return { ok: report.failures.length === 0, passed: report.passed, failed: report.failed, ...(failures.length === 0 ? {} : { output: failures.join('\n') }) };
    });
    queue = run.catch(() => undefined);
    return run;
  };
}
