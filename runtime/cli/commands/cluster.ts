import { Command } from 'commander';
import { z } from 'zod';
import { denyingPrompter } from '../../../host-api/policy/prompter.js';
import { changeCluster, type ChangeOperation } from '../../cluster/change-cluster.js';
import { restartSteps, scaleSteps, upgradeSteps } from '../../cluster/change-steps.js';
import type { ClusterComponentInput } from '../../cluster/cluster-component.js';
import { checkCluster, deployOrDeleteSteps, type ClusterCheck } from '../../cluster/check-cluster.js';
import type { ComponentStep } from '../../cluster/component-step.js';
import { MAY_BE_INSTALLED, type ClusterReport } from '../../cluster/component-state.js';
import { declaredComponents } from '../../cluster/declared-components.js';
import { deleteCluster } from '../../cluster/delete-cluster.js';
import { deployCluster } from '../../cluster/deploy-cluster.js';
import type { DeploymentStatus } from '../../cluster/deployment-records.js';
import { planDeployment } from '../../cluster/deployment-plan.js';
import { deploymentStatus } from '../../cluster/deployment-status.js';
import { runBounded } from '../../cluster/run-bounded.js';
import { TaskservComponentRunner } from '../../cluster/taskserv-component-runner.js';
import { escapeControl, escapeLines } from '../../data/control-characters.js';
import { toPlainData, type PlainValue } from '../../data/plain-data.js';
import { ProvError, toProvError, type ErrorCode } from '../../errors/index.js';
import { resolveExtension, type ExtensionSource } from '../../extension/extension-source.js';
import { runOperation } from '../../run/run-operation.js';
import { loadExtension, type LoadedExtension } from '../../extension/load-extension.js';
import { readInventory } from '../../inventory/read-inventory.js';
import { selectServers } from '../../inventory/require-server.js';
import type { PlanEntry } from '../../sandbox/operation-result.js';
import { codeCacheDir } from '../../state/prov-home.js';
import { clusterProgress } from '../cluster-progress.js';
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
  replicas: z.coerce.number().int().min(0).max(10_000).optional(),
  component: z.string().optional(),
  live: z.boolean().default(true),
});
type ClusterOptions = z.infer<typeof optionsSchema>;

/** A cluster as a command works on it: its name, declared components, and the one server it is (to be) deployed on. */
interface ClusterTarget {
  name: string;
  components: ClusterComponentInput[];
  server: string;
  status: DeploymentStatus | undefined;
  options: ClusterOptions;
  /** The hooks its code defines (create, delete, scale, upgrade, status). */
  hooks: Set<string>;
  source: ExtensionSource;
}

/** The operations a cluster's code may define, which prov runs after its own orchestration. */
const CLUSTER_HOOKS = new Set(['create', 'delete', 'scale', 'upgrade', 'status']);

/**
 * `prov cluster <create|delete|upgrade|scale|restart-component|status|
 * list-components|component-status>`: the runtime orders a cluster's
 * components, installs each through its registered task service (a sandbox
 * and a grant of its own) on one inventory server, rolls back on failure,
 * and records every step — including the server, so later operations act
 * there without being told. Grants come from the policy file (`prov grant
 * <taskserv>`): a cluster operation never stops to ask.
 */
export function clusterCommand(cli: CommandContext): Command {
  const cluster = new Command('cluster').description('deploy, change, delete and inspect clusters: compositions of task services ordered and rolled back by prov');
  const common = (command: Command) => command
    .argument('<name>', 'a registered cluster, or its directory (./name)')
    .option('--server <name>', 'the inventory server (or tag:T matching exactly one); default: where the cluster is deployed')
    .option('--policy <file>', 'the policy file the task services\' grants come from (default: $PROV_HOME/policy.toml)')
    .option('--json', 'print one JSON document on stdout');
  const checkable = (command: Command, what: string) => common(command).option('--check', `plan only: ${what} in check mode, in order; nothing is changed or recorded`);

  checkable(cluster.command('create'), 'each component\'s install')
    .description('deploy the components in dependency order, independent ones in parallel; roll back what was deployed if one fails; a re-run resumes')
    .option('--concurrency <n>', 'components of a wave installed at once', '4')
    .action((name: string, raw: unknown) => deployOrDelete(cli, name, raw, 'create'));
  checkable(cluster.command('delete'), 'each component\'s uninstall')
    .description('uninstall the components in reverse dependency order')
    .option('--concurrency <n>', 'components of a wave uninstalled at once', '4')
    .action((name: string, raw: unknown) => deployOrDelete(cli, name, raw, 'delete'));
  checkable(cluster.command('upgrade'), 'each changed component\'s upgrade')
    .description('bring the deployment to the cluster\'s definition as registered now, one component at a time: changed ones upgraded, new ones installed, dropped ones uninstalled')
    .action(async (name: string, raw: unknown) => {
      const target = await clusterTarget(cli, name, raw, 'upgrade');
      const deployOrder = planDeployment(target.components).waves.flat().map((component) => component.name);
      await change(cli, target, 'upgrade', upgradeSteps(target.components, deployed(target)), deployOrder);
    });
  checkable(cluster.command('scale'), 'each component\'s configure')
    .description('set the replica count of the components that have one (or of --component), one at a time, through their task service\'s configure; the next create or upgrade returns to the definition\'s count')
    .requiredOption('--replicas <n>', 'the replica count')
    .option('--component <name>', 'only this component')
    .action(async (name: string, raw: unknown) => {
      const target = await clusterTarget(cli, name, raw, 'scale');
      await change(cli, target, 'scale', scaleSteps(target.name, deployed(target), target.options.replicas!, target.options.component));
    });
  checkable(cluster.command('restart-component'), 'the component\'s restart')
    .description('restart one deployed component through its task service')
    .argument('<component>', 'the component')
    .action(async (name: string, componentName: string, raw: unknown) => {
      const target = await clusterTarget(cli, name, raw, 'restart-component');
      await change(cli, target, 'restart', restartSteps(target.name, deployed(target), componentName));
    });
  common(cluster.command('list-components'))
    .description('the components and the waves they deploy in')
    .action(async (name: string, raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      cli.json = options.json;
      const { components } = await loadCluster(cli, name);
      const plan = planDeployment(components);
      const waves = plan.waves.map((wave) => wave.map((component) => component.name));
      if (cli.json) printJsonSuccess(cli.io, { result: toPlainData({ waves, components }) });
      else waves.forEach((wave, index) => cli.io.stdout.write(`wave ${index + 1}: ${wave.map(escapeControl).join(', ')}\n`));
    });
  common(cluster.command('status'))
    .description('what the last operation recorded, component by component (a killed deploy shows what was in flight), with each installed component\'s live status from its task service')
    .option('--no-live', 'only the record: do not ask the task services')
    .action(async (name: string, raw: unknown) => {
      const options = parseOptions(optionsSchema, raw);
      cli.json = options.json;
      const cluster = await loadCluster(cli, name);
      const status = deploymentStatus(cluster.name, cli.env);
      if (status === undefined) throw new ProvError('ClusterNotDeployed', `No deployment of cluster "${cluster.name}" is recorded`, { hint: `Deploy it: prov cluster create ${name} --server S.` });
      // Live status only where something may be installed: after a delete there is nothing to ask.
      const asking = options.live && status.server !== undefined && status.components.some((row) => MAY_BE_INSTALLED.has(row.state));
      const live = asking ? await liveStatus(cli, status, options) : new Map<string, LiveStatus>();
      let hook: LiveStatus | undefined;
      if (asking && cluster.hooks.has('status')) {
        hook = await runHook(cli, { ...cluster, server: status.server!, options }, 'status', undefined)
          .then((result): LiveStatus => ({ ok: true, status: result }))
          .catch((error: unknown): LiveStatus => ({ ok: false, error: { code: toProvError(error).code, message: toProvError(error).message } }));
      }
      printStatus(cli, name, status, live, hook);
    });
  common(cluster.command('component-status'))
    .description('one component\'s live status, as its task service reports it on the server')
    .argument('<component>', 'the component')
    .action(async (name: string, componentName: string, raw: unknown) => {
      const target = await clusterTarget(cli, name, raw, 'component-status');
      const recorded = target.status?.components.find((each) => each.name === componentName)?.component;
      const component = recorded ?? target.components.find((each) => each.name === componentName);
      if (component === undefined) throw new ProvError('Usage', `Cluster ${name} has no component "${componentName}"`, { hint: `Its components: ${target.components.map((each) => each.name).join(', ')}.` });
      const result = await runner(cli, target).status({ ...component, dependencies: component.dependencies ?? [] });
      if (cli.json) printJsonSuccess(cli.io, { result: toPlainData(result) });
      else cli.io.stdout.write(`${escapeLines(JSON.stringify(result, null, 2))}\n`);
    });
  return cluster;
}

/**
 * Loads the cluster (no grant: only its declared components are read) and
 * settles the server: `--server` (a name, or a tag matching exactly one
 * server), else the one its deployment is recorded on. A cluster that may
 * still be installed on one server is not operated on another.
 */
async function clusterTarget(cli: CommandContext, reference: string, raw: unknown, command: string): Promise<ClusterTarget> {
  const options = parseOptions(optionsSchema, raw);
  cli.json = options.json;
  const inventory = readInventory(cli.env);
  const selected = options.server === undefined ? undefined : selectServers(inventory, options.server);
  if (selected !== undefined && selected.length > 1) {
    throw new ProvError('Usage', `--server ${options.server} matches ${selected.length} servers (${selected.map((server) => server.name).join(', ')}); a cluster is deployed on one server`, {
      hint: 'Name one server, or a tag only it has.',
    });
  }
  const { name, components, hooks, source } = await loadCluster(cli, reference);
  const status = deploymentStatus(name, cli.env);
  const recordedServer = status?.components.some((row) => MAY_BE_INSTALLED.has(row.state)) ? status.server : undefined;
  const server = selected?.[0]?.name ?? recordedServer;
  if (server === undefined) {
    throw new ProvError('Usage', `prov cluster ${command} ${reference} needs --server: no deployment of ${name} records one`, { hint: 'Name the inventory server: --server NAME (prov server list).' });
  }
  if (recordedServer !== undefined && server !== recordedServer) {
    throw new ProvError('ClusterElsewhere', `Cluster "${name}" is deployed on ${recordedServer}, not ${server}`, {
      hint: `Leave --server out to act on ${recordedServer}; to move it, prov cluster delete ${reference} first.`,
      details: { cluster: name, server: recordedServer },
    });
  }
  return { name, components, server, status, options, hooks, source };
}

/** The cluster's name and declared components, read from its code in a sandbox with no grant. */
async function loadCluster(cli: CommandContext, reference: string): Promise<{ name: string; components: ClusterComponentInput[]; hooks: Set<string>; source: ExtensionSource }> {
  const source = await resolveExtension(reference, { env: cli.env, type: 'cluster' });
  const { name, type } = source.loaded.manifest.extension;
  if (type !== 'cluster') throw new ProvError('Usage', `${name} is a ${type}, not a cluster`, { hint: `Use prov ${type} <operation> ${reference}.` });
  const extension = await loadExtension(source, { log: new StderrLogSink('info', cli.io.stderr), env: cli.env, inventory: [], codeCacheDir: codeCacheDir(cli.env) });
  try {
    const hooks = new Set(extension.sandbox.description.operations.map((operation) => operation.name).filter((operation) => CLUSTER_HOOKS.has(operation)));
    return { name, components: declaredComponents(name, extension.sandbox.description.components), hooks, source };
  } finally {
    extension.sandbox.dispose();
  }
}

function deployed(target: ClusterTarget): DeploymentStatus {
  if (target.status === undefined) {
    throw new ProvError('ClusterNotDeployed', `No deployment of cluster "${target.name}" is recorded`, { hint: `Deploy it first: prov cluster create ${target.name} --server S.` });
  }
  return target.status;
}

/** create and delete: wave by wave (or their plans under --check), then the cluster's hook of that name. */
async function deployOrDelete(cli: CommandContext, reference: string, raw: unknown, command: 'create' | 'delete'): Promise<void> {
  const target = await clusterTarget(cli, reference, raw, command);
  const operation = command === 'create' ? 'deploy' : 'delete';
  if (target.options.check) return printCheck(cli, await checkSteps(cli, target, operation, deployOrDeleteSteps(target.components, operation)));
  const progress = clusterProgress(cli, target.options.json);
  const run = command === 'create' ? deployCluster : deleteCluster;
  const done = await run(target.name, target.components, runner(cli, target, progress.log), { concurrency: target.options.concurrency, env: cli.env, server: target.server, onEvent: progress.onEvent }).finally(progress.done);
  report(cli, done, await afterHook(cli, target, command, done));
}

/** upgrade, scale and restart-component: the steps one at a time, or their plans under --check. */
async function change(cli: CommandContext, target: ClusterTarget, operation: ChangeOperation, steps: ComponentStep[], deployOrder?: string[]): Promise<void> {
  if (target.options.check) return printCheck(cli, await checkSteps(cli, target, operation, { waves: steps.map((step) => [step.component.name]), steps }));
  if (steps.length === 0) {
    if (cli.json) printJsonSuccess(cli.io, { result: toPlainData({ cluster: target.name, operation, ok: true, components: [] }), changed: false });
    else cli.io.stderr.write(`✓ ${operation} of cluster ${escapeControl(target.name)}: nothing to do, every component is as asked\n`);
    return;
  }
  const progress = clusterProgress(cli, target.options.json);
  const changed = await changeCluster(target.name, operation, steps, runner(cli, target, progress.log), { env: cli.env, server: target.server, onEvent: progress.onEvent, ...(deployOrder === undefined ? {} : { deployOrder }) }).finally(progress.done);
  report(cli, changed, operation === 'restart' ? undefined : await afterHook(cli, target, operation, changed));
}

/**
 * The cluster's own hook for `operation`, if its code defines one: run
 * after prov's orchestration succeeded, in the cluster's sandbox with the
 * operator's grant for it (never a prompt), on the cluster's server, with
 * the report as its input. Its result is shown with the report. A hook
 * that fails fails the command — after the work it follows is done and
 * recorded, which the error says.
 */
async function afterHook(cli: CommandContext, target: ClusterTarget, operation: string, done: ClusterReport): Promise<PlainValue | undefined> {
  if (!done.ok || !target.hooks.has(operation)) return undefined;
  try {
    return await runHook(cli, target, operation, toPlainData({ cluster: done.cluster, operation: done.operation, server: target.server, components: done.components }));
  } catch (error) {
    const failed = toProvError(error);
    throw new ProvError(failed.code, `The ${operation} of cluster "${target.name}" is done, but its ${operation} hook failed: ${failed.message}`, {
      hint: `The components are as the report says (prov cluster status ${target.name}). ${failed.hint ?? ''}`.trim(),
      details: { report: toPlainData(done) as unknown as Record<string, unknown> },
    });
  }
}

async function runHook(cli: CommandContext, target: Pick<ClusterTarget, 'name' | 'source' | 'server' | 'options'>, hook: string, input: PlainValue | undefined): Promise<PlainValue> {
  const extension = await loadGranted(cli, target.source, target.options, cli.io.stderr);
  try {
    return (await runOperation(extension, hook, input, { target: { name: target.server } })).result;
  } finally {
    extension.sandbox.dispose();
  }
}

function checkSteps(cli: CommandContext, target: ClusterTarget, operation: ClusterCheck['operation'], work: { waves: string[][]; steps: ComponentStep[] }): Promise<ClusterCheck> {
  return checkCluster(target.name, operation, work.waves, work.steps, runner(cli, target));
}

/** Each component's task service: registered, in a sandbox of its own, with the policy's grant for it. */
function runner(cli: CommandContext, target: Pick<ClusterTarget, 'server' | 'options'>, log: NodeJS.WritableStream = cli.io.stderr): TaskservComponentRunner {
  const load = async (taskserv: string): Promise<LoadedExtension> => loadGranted(cli, await resolveExtension(taskserv, { env: cli.env, type: 'taskserv' }), target.options, log);
  return new TaskservComponentRunner({ load, target: { name: target.server } });
}

/**
 * An extension a cluster operation runs (a component's task service, or the
 * cluster itself for a hook): in a sandbox of its own, with the policy's
 * grant for it, and never a prompt — a cluster operation does not stop to ask.
 */
async function loadGranted(cli: CommandContext, source: ExtensionSource, options: ClusterOptions, log: NodeJS.WritableStream): Promise<LoadedExtension> {
  const { name, type } = source.loaded.manifest.extension;
  const operator = await operatorSetup(cli, parseOptions(grantOptionsSchema, { prompt: false, ...(options.policy === undefined ? {} : { policy: options.policy }) }), { name, type, dir: source.dir, registered: source.origin === 'registry' });
  return loadExtension(source, {
    log: new StderrLogSink('info', log),
    codeCacheDir: codeCacheDir(cli.env),
    env: cli.env,
    grant: operator.grant,
    limitCaps: operator.limitCaps,
    prompter: denyingPrompter,
    reservedPaths: [operator.policyFile],
    inventory: readInventory(cli.env),
  });
}

type LiveStatus = { ok: true; status: PlainValue } | { ok: false; error: { code: string; message: string } };

/** Each installed component's status from its task service, two at a time (each is a sandbox and an SSH session). */
async function liveStatus(cli: CommandContext, status: DeploymentStatus, options: ClusterOptions): Promise<Map<string, LiveStatus>> {
  const live = new Map<string, LiveStatus>();
  const ask = runner(cli, { server: status.server!, options });
  const installed = status.components.filter((row) => MAY_BE_INSTALLED.has(row.state));
  await runBounded(installed, 2, async (row) => {
    try {
      live.set(row.name, { ok: true, status: toPlainData(await ask.status(row.component)) });
    } catch (error) {
      const { code, message } = toProvError(error).toJSON();
      live.set(row.name, { ok: false, error: { code, message } });
    }
  });
  return live;
}

function printStatus(cli: CommandContext, reference: string, status: DeploymentStatus, live: Map<string, LiveStatus>, hook: LiveStatus | undefined): void {
  if (cli.json) {
    const components = status.components.map((row) => ({ ...row, ...(live.has(row.name) ? { live: live.get(row.name)! } : {}) }));
    printJsonSuccess(cli.io, { result: toPlainData({ ...status, components, ...(hook === undefined ? {} : { hook }) }) });
    return;
  }
  const where = status.server === undefined ? '' : ` on ${escapeControl(status.server)}`;
  const out = (text: string) => cli.io.stdout.write(`${text}\n`);
  out(`${escapeControl(status.cluster)}${where}: last ${status.operation} ${status.state} (${status.updatedAt})`);
  if (status.state === 'interrupted') {
    out(`  the prov process (${status.pid}) that ran it is gone${status.inFlight.length > 0 ? `; in flight when it stopped: ${status.inFlight.map(escapeControl).join(', ')}` : ''}`);
    out(`  ${escapeControl(resumeHint(status, reference))}`);
  }
  const width = Math.max(12, ...status.components.map((row) => row.name.length));
  for (const row of status.components) {
    const seen = live.get(row.name);
    const liveText = seen === undefined ? '' : seen.ok ? `  live: ${summary(seen.status)}` : `  live: ${seen.error.code}: ${seen.error.message}`;
    const error = row.error === undefined ? '' : `  (${row.error.code}: ${row.error.message})`;
    out(`  ${escapeControl(row.name).padEnd(width)} ${row.state.padEnd(15)}${escapeControl(error)}${escapeControl(liveText)}`);
  }
  if (hook !== undefined) out(`  the cluster's status hook: ${escapeControl(hook.ok ? JSON.stringify(hook.status) : `${hook.error.code}: ${hook.error.message}`)}`);
}

/** What to run after an operation whose process died, for `status` to say. */
function resumeHint(status: DeploymentStatus, reference: string): string {
  const inFlight = status.inFlight[0] ?? '<component>';
  switch (status.operation) {
    case 'deploy': return `run prov cluster create ${reference} again to resume it (deployed components are skipped), or prov cluster delete ${reference} to remove what it installed`;
    case 'delete': return `run prov cluster delete ${reference} again to finish it`;
    case 'upgrade': return `run prov cluster upgrade ${reference} again to finish it (upgraded components are skipped)`;
    case 'scale': return `run prov cluster scale ${reference} --replicas N again to finish it`;
    case 'restart': return `run prov cluster restart-component ${reference} ${inFlight} again`;
    case 'rollback': return `run prov cluster delete ${reference} to remove what is still installed`;
  }
}

/** A task service's status in one line: its status/state/active fields when it has them, else its JSON cut short. */
function summary(value: PlainValue): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const fields = ['status', 'state', 'active', 'version', 'healthy'].filter((key) => key in value && typeof value[key] !== 'object');
    if (fields.length > 0) return fields.map((key) => `${key}=${String(value[key])}`).join(' ');
  }
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
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
    // As for any operation under --check: changed says whether the plan would change anything.
    printJsonSuccess(cli.io, { result: toPlainData(check), changed: check.components.some((component) => component.changed), plan: plan as unknown as PlanEntry[] });
    return;
  }
  const lines = [`${check.operation} of cluster ${escapeControl(check.cluster)} (check mode: nothing done, nothing recorded)`];
  if (check.components.length === 0) lines.push('  nothing to do: every component is as asked');
  for (const component of check.components) {
    lines.push(`  ${escapeControl(component.name)} (wave ${component.wave + 1}, ${component.operation}): ${component.plan.length === 0 ? 'nothing would be done' : `${component.plan.length} planned call(s)`}`);
    for (const entry of component.plan) lines.push(`    ${entry.changes ? '~' : '='} ${entry.call} ${escapeControl(entry.target)}: ${escapeControl(entry.summary)}`);
  }
  cli.io.stderr.write(`${lines.join('\n')}\n`);
}

/** The report (and what the cluster's hook said), or the failure with the report in its details. */
function report(cli: CommandContext, result: ClusterReport, hook?: PlainValue): void {
  if (!result.ok) {
    const error = result.error!;
    throw new ProvError(error.code as ErrorCode, error.message, { ...(error.hint === undefined ? {} : { hint: error.hint }), details: { report: toPlainData(result) as unknown as Record<string, unknown> } });
  }
  if (cli.json) {
    printJsonSuccess(cli.io, { result: toPlainData({ ...result, ...(hook === undefined ? {} : { hook }) }), changed: result.components.some((component) => !component.alreadyDeployed && component.state !== 'not-started') });
    return;
  }
  cli.io.stderr.write(`✓ ${result.operation} of cluster ${escapeControl(result.cluster)}: ${result.components.map((component) => `${escapeControl(component.name)} ${component.state}`).join(', ')}\n`);
  if (hook !== undefined && hook !== null) cli.io.stdout.write(`${escapeControl(JSON.stringify(hook, null, 2))}\n`);
}
