import { Command } from 'commander';
import { z } from 'zod';
import { denyingPrompter } from '../../../host-api/policy/prompter.js';
import type { ClusterComponentInput } from '../../cluster/cluster-component.js';
import type { ClusterEvent } from '../../cluster/cluster-events.js';
import type { ClusterReport } from '../../cluster/component-state.js';
import { checkCluster, type ClusterCheck } from '../../cluster/check-cluster.js';
import { declaredComponents } from '../../cluster/declared-components.js';
import { deleteCluster } from '../../cluster/delete-cluster.js';
import { deployCluster } from '../../cluster/deploy-cluster.js';
import { planDeployment } from '../../cluster/deployment-plan.js';
import { deploymentStatus } from '../../cluster/deployment-status.js';
import { TaskservComponentRunner } from '../../cluster/taskserv-component-runner.js';
import { escapeControl } from '../../data/control-characters.js';
import type { PlainValue } from '../../data/plain-data.js';
import { toPlainData } from '../../data/plain-data.js';
import { requireServer } from '../../inventory/require-server.js';
import { ProvError, type ErrorCode } from '../../errors/index.js';
import { resolveExtension } from '../../extension/extension-source.js';
import { loadExtension, type LoadedExtension } from '../../extension/load-extension.js';
import { readInventory } from '../../inventory/read-inventory.js';
import type { PlanEntry } from '../../sandbox/operation-result.js';
import { codeCacheDir } from '../../state/prov-home.js';
import type { CommandContext } from '../command-context.js';
import { grantOptionsSchema, operatorSetup } from '../grant-options.js';
import { printJsonSuccess } from '../output.js';
import { parseOptions } from '../parse-options.js';
import { StderrLogSink } from '../stderr-log-sink.js';

const optionsSchema = z.object({
  server: z.string().optional(),
  concurrency: z.coerce.number().int().min(1).max(64).default(4),
  policy: z.string().optional(),
  json: z.boolean().default(false),
  check: z.boolean().default(false),
});
type ClusterOptions = z.infer<typeof optionsSchema>;

/**
 * `prov cluster <create|delete|status|list-components|component-status>`:
 * the runtime orders a cluster's components, installs each through its
 * registered task service (a sandbox and a grant of its own) on `--server`,
 * rolls back on failure, and records every step. Grants come from the
 * policy file (`prov grant <taskserv>`): a deploy never stops to ask.
 */
export function clusterCommand(cli: CommandContext): Command {
  const cluster = new Command('cluster').description('deploy, delete and inspect clusters: compositions of task services ordered and rolled back by prov');
  const common = (command: Command) => command
    .argument('<name>', 'a registered cluster, or its directory (./name)')
    .option('--policy <file>', 'the policy file the task services\' grants come from (default: $PROV_HOME/policy.toml)')
    .option('--json', 'print one JSON document on stdout');
  common(cluster.command('create'))
    .description('deploy the components in dependency order, independent ones in parallel; roll back what was deployed if one fails; a re-run resumes')
    .requiredOption('--server <name>', 'the inventory server the components are installed on')
    .option('--concurrency <n>', 'components of a wave installed at once', '4')
    .option('--check', 'plan only: each component\'s install in check mode, in deploy order; nothing is installed or recorded')
    .action(async (name: string, raw: unknown) => withCluster(cli, name, raw, async (components, options, clusterName) => {
      if (options.check) return printCheck(cli, await checkCluster(clusterName, components, runner(cli, options), 'deploy'));
      return report(cli, await deployCluster(clusterName, components, runner(cli, options), { concurrency: options.concurrency, env: cli.env, onEvent: progress(cli, options) }));
    }));
  common(cluster.command('delete'))
    .description('uninstall the components in reverse dependency order')
    .requiredOption('--server <name>', 'the inventory server the components are installed on')
    .option('--concurrency <n>', 'components of a wave uninstalled at once', '4')
    .option('--check', 'plan only: each component\'s uninstall in check mode, in reverse order; nothing is removed or recorded')
    .action(async (name: string, raw: unknown) => withCluster(cli, name, raw, async (components, options, clusterName) => {
      if (options.check) return printCheck(cli, await checkCluster(clusterName, components, runner(cli, options), 'delete'));
      return report(cli, await deleteCluster(clusterName, components, runner(cli, options), { concurrency: options.concurrency, env: cli.env, onEvent: progress(cli, options) }));
    }));
  common(cluster.command('list-components'))
    .description('the components and the waves they deploy in')
    .action(async (name: string, raw: unknown) => {
      const shown = await withCluster(cli, name, raw, async (components) => {
        const plan = planDeployment(components);
        return { waves: plan.waves.map((wave) => wave.map((component) => component.name)), components: components as unknown as PlainValue };
      });
      if (cli.json) printJsonSuccess(cli.io, { result: toPlainData(shown) });
      else shown.waves.forEach((wave, index) => cli.io.stdout.write(`wave ${index + 1}: ${wave.map(escapeControl).join(', ')}\n`));
    });
  common(cluster.command('status'))
    .description('what the last operation recorded, component by component (a killed deploy shows what was in flight)')
    .action(async (name: string, raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      cli.json = options.json;
      const clusterName = await clusterNameOf(cli, name);
      const status = deploymentStatus(clusterName, cli.env);
      if (status === undefined) throw new ProvError('ClusterNotDeployed', `No deployment of cluster "${clusterName}" is recorded`, { hint: `Deploy it: prov cluster create ${name} --server S.` });
      if (cli.json) {
        printJsonSuccess(cli.io, { result: toPlainData(status) });
        return;
      }
      cli.io.stdout.write(`${escapeControl(clusterName)}: last ${status.operation} ${status.state} (${status.updatedAt})${status.inFlight.length > 0 ? `; in flight when it stopped: ${status.inFlight.map(escapeControl).join(', ')}` : ''}\n`);
      for (const component of status.components) cli.io.stdout.write(`  ${escapeControl(component.name).padEnd(24)} ${component.state}\n`);
    });
  common(cluster.command('component-status'))
    .description('one component\'s live status, as its task service reports it on the server')
    .argument('<component>', 'the component')
    .requiredOption('--server <name>', 'the inventory server the component is installed on')
    .action(async (name: string, componentName: string, raw: unknown) => {
      const result = await withCluster(cli, name, raw, async (components, options) => {
        const component = components.find((each) => each.name === componentName);
        if (component === undefined) throw new ProvError('Usage', `Cluster ${name} has no component "${componentName}"`, { hint: `Its components: ${components.map((each) => each.name).join(', ')}.` });
        return runner(cli, options).status({ ...component, dependencies: component.dependencies ?? [] });
      });
      if (cli.json) printJsonSuccess(cli.io, { result: toPlainData(result) });
      else cli.io.stdout.write(`${escapeControl(JSON.stringify(result, null, 2))}\n`);
    });
  return cluster;
}

/** Loads the cluster (no grant: only its declared components are read), then works on them. */
async function withCluster<T>(cli: CommandContext, reference: string, raw: unknown, work: (components: ClusterComponentInput[], options: ClusterOptions, cluster: string) => Promise<T>): Promise<T> {
  const options = parseOptions(optionsSchema, raw);
  cli.json = options.json;
  requireServer(readInventory(cli.env), options.server);
  const source = await resolveExtension(reference, { env: cli.env, type: 'cluster' });
  const { name, type } = source.loaded.manifest.extension;
  if (type !== 'cluster') throw new ProvError('Usage', `${name} is a ${type}, not a cluster`, { hint: `Use prov ${type} <operation> ${reference}.` });
  const extension = await loadExtension(source, { log: new StderrLogSink('info', cli.io.stderr), env: cli.env, inventory: [], codeCacheDir: codeCacheDir(cli.env) });
  let components: ClusterComponentInput[];
  try {
    components = declaredComponents(name, extension.sandbox.description.components);
  } finally {
    extension.sandbox.dispose();
  }
  return work(components, options, name);
}

async function clusterNameOf(cli: CommandContext, reference: string): Promise<string> {
  const source = await resolveExtension(reference, { env: cli.env, type: 'cluster' });
  return source.loaded.manifest.extension.name;
}

/** Each component's task service: registered, in a sandbox of its own, with the policy's grant for it. */
function runner(cli: CommandContext, options: ClusterOptions): TaskservComponentRunner {
  const inventory = readInventory(cli.env);
  const load = async (taskserv: string): Promise<LoadedExtension> => {
    const source = await resolveExtension(taskserv, { env: cli.env, type: 'taskserv' });
    const { name, type } = source.loaded.manifest.extension;
    const operator = await operatorSetup(cli, parseOptions(grantOptionsSchema, { prompt: false, ...(options.policy === undefined ? {} : { policy: options.policy }) }), { name, type, dir: source.dir, registered: source.origin === 'registry' });
    return loadExtension(source, {
      log: new StderrLogSink('info', cli.io.stderr),
      codeCacheDir: codeCacheDir(cli.env),
      env: cli.env,
      grant: operator.grant,
      limitCaps: operator.limitCaps,
      prompter: denyingPrompter,
      reservedPaths: [operator.policyFile],
      inventory,
    });
  };
  return new TaskservComponentRunner({ load, target: { name: options.server! } });
}

/** Plain progress lines on stderr (a deploy can take minutes). */
function progress(cli: CommandContext, options: ClusterOptions): (event: ClusterEvent) => void {
  return (event) => {
    if (options.json) return;
    const line = (text: string) => cli.io.stderr.write(`${escapeControl(text)}\n`);
    if (event.type === 'wave-started') line(`wave ${event.wave + 1}: ${event.components.join(', ')}`);
    else if (event.type === 'component-started') line(`  ${event.component}: ${event.state}…`);
    else if (event.type === 'component-skipped') line(`  ${event.component}: already deployed, skipped`);
    else if (event.type === 'component-finished') line(`  ${event.component}: ${event.state}${event.error === undefined ? '' : ` (${event.error.code}: ${event.error.message})`}`);
    else if (event.type === 'rollback-started') line(`rolling back: ${event.components.join(', ')}`);
  };
}

/** A check-mode cluster operation: each component's plan, in order; a component that could not be planned fails the command. */
function printCheck(cli: CommandContext, check: ClusterCheck): void {
  const plan = check.components.flatMap((component) => component.plan.map((entry) => ({ ...entry, component: component.name })));
  const failed = check.components.find((component) => component.error !== undefined);
  if (failed !== undefined) {
    throw new ProvError(failed.error!.code as ErrorCode, `Planning cluster ${check.cluster} failed at component "${failed.name}": ${failed.error!.message}`, {
      ...(failed.error!.hint === undefined ? {} : { hint: failed.error!.hint }),
      details: { check: toPlainData(check) as unknown as Record<string, unknown> },
    });
  }
  if (cli.json) {
    printJsonSuccess(cli.io, { result: toPlainData(check), changed: false, plan: plan as unknown as PlanEntry[] });
    return;
  }
  const lines = [`${check.operation} of cluster ${escapeControl(check.cluster)} (check mode: nothing done, nothing recorded)`];
  for (const component of check.components) {
    lines.push(`  ${escapeControl(component.name)} (wave ${component.wave + 1}, ${component.operation}): ${component.plan.length === 0 ? 'nothing would be done' : `${component.plan.length} planned call(s)`}`);
    for (const entry of component.plan) lines.push(`    ${entry.changes ? '~' : '='} ${entry.call} ${escapeControl(entry.target)}: ${escapeControl(entry.summary)}`);
  }
  cli.io.stderr.write(`${lines.join('\n')}\n`);
}

/** The report, or the failure with the report in its details. */
function report(cli: CommandContext, result: ClusterReport): void {
  if (!result.ok) {
    const error = result.error!;
    throw new ProvError(error.code as ErrorCode, error.message, { ...(error.hint === undefined ? {} : { hint: error.hint }), details: { report: toPlainData(result) as unknown as Record<string, unknown> } });
  }
  if (cli.json) {
    printJsonSuccess(cli.io, { result: toPlainData(result), changed: result.components.some((component) => !component.alreadyDeployed && component.state !== 'not-started') });
    return;
  }
  cli.io.stderr.write(`✓ ${result.operation} of cluster ${escapeControl(result.cluster)}: ${result.components.map((component) => `${escapeControl(component.name)} ${component.state}`).join(', ')}\n`);
}
