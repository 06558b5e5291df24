import os from 'node:os';
import { FileAuditLog } from '../../host-api/audit/audit-log.js';
import { permissionKinds } from '../../host-api/capabilities/index.js';
import type { AuditSink, Capability, LogSink } from '../../host-api/capability.js';
import type { GrantView } from '../../host-api/grants/grant-view.js';
import type { PermissionSet } from '../../host-api/grants/permission-keys.js';
import { denyingPrompter, type Prompter } from '../../host-api/policy/prompter.js';
import { normalizeSet, resolveGrant } from '../../host-api/policy/resolve-grant.js';
import { SecretMasker } from '../../host-api/secrets/secret-masker.js';
import { ChainedSecretSource, EnvSecretSource, FileSecretSource, resolveSecretValues, type SecretSource } from '../../host-api/secrets/secret-source.js';
import { parseSecretGrant } from '../../host-api/capabilities/secrets/secret-permissions.js';
import { ProvError } from '../errors/index.js';
import { requestedPermissions } from '../manifest/requested-permissions.js';
import { maskAudit, maskLog, MaskedSandbox } from '../sandbox/masked-sandbox.js';
import { auditLogFile, provHome, secretsFile } from '../state/prov-home.js';
import { realPath } from '../state/real-path.js';
import { serverMatches } from '../../host-api/capabilities/servers/server-permissions.js';
import { ServerAccess, type SshEnvironment } from '../../host-api/capabilities/servers/server-transport.js';
import type { ServerRecord } from '../inventory/server-record.js';
import { readInventory } from '../inventory/read-inventory.js';
import type { ExtensionIdentity } from '../../host-api/sdk/context.js';
import type { ExtensionBundle } from '../build/bundle-extension.js';
import { directorySource, type ExtensionSource } from './extension-source.js';
import type { Manifest } from '../manifest/manifest-schema.js';
import type { CodeCache } from '../sandbox/code-cache.js';
import type { ExtensionSandbox } from '../sandbox/extension-sandbox.js';
import { IsolateSandbox } from '../sandbox/isolate-sandbox.js';
import { LIMIT_CAPS, resolveLimits, type ResolvedLimits } from '../sandbox/limits.js';
import { SandboxHost } from '../sandbox/process/sandbox-host.js';
import { Sandbox } from '../sandbox/sandbox.js';

export interface LoadExtensionOptions {
  /** Where the extension's log lines go. */
  log: LogSink;
  /** Caps on the manifest's [limits] (defaults: the runtime's caps). */
  limitCaps?: ResolvedLimits;
  /**
   * `process` (the default): the isolate lives in a supervised child process,
   * so even a V8 heap abort ends only that child. `in-process`: the isolate
   * lives in this process (faster to start; for tests and benchmarks of the
   * isolate layer — a heap abort there ends this process).
   */
  isolation?: 'process' | 'in-process';
  /** Where V8 code caches are kept (process isolation); none: in memory. Never used for a registered bundle. */
  codeCacheDir?: string;
  /** The code cache (in-process isolation); default: one in memory for the process. */
  codeCache?: CodeCache;
  /** The capabilities offered (in-process isolation only); default: all of host-api/capabilities. */
  capabilities?: Readonly<Record<string, Capability>>;
  /**
   * The operator's grant (policy file and --allow-… flags), in `[permissions]`
   * spelling. The extension gets manifest ∩ this; default: nothing.
   */
  grant?: PermissionSet;
  /** Asked about what the manifest requests beyond `grant`; default: deny. */
  prompter?: Prompter;
  /** Records what the prompter granted "always" (the CLI writes the policy file). */
  recordAlways?: (grant: PermissionSet) => Promise<void>;
  /** Where secret values come from; default: PROV_SECRET_* in `env`, then $PROV_HOME/secrets.toml. */
  secrets?: SecretSource;
  /** Where every gated call is recorded; default: $PROV_HOME/audit/audit.jsonl. */
  audit?: AuditSink;
  /** Environment for PROV_HOME and secrets; default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** The operator's home (`~/` in paths); default: os.homedir(). */
  home?: string;
  /** Paths no extension may reach through fs besides $PROV_HOME and the secrets file (e.g. a --policy file). */
  reservedPaths?: string[];
  /** The operator's servers; default: the inventory in $PROV_HOME. Only the granted ones reach the sandbox. */
  inventory?: ServerRecord[];
  /** A sandbox host process started ahead of time (process isolation; the dev loop keeps one ready). */
  host?: SandboxHost;
}

/** An extension read, bundled and running in its sandbox. */
export interface LoadedExtension {
  /** Its directory (for a registered extension: the one it was registered from). */
  dir: string;
  origin: ExtensionSource['origin'];
  manifest: Manifest;
  identity: ExtensionIdentity;
  bundle: ExtensionBundle;
  limits: ResolvedLimits;
  /** What the extension asked for and what it was granted. */
  grant: GrantView;
  sandbox: ExtensionSandbox;
}

/**
 * Loads an extension into a new isolate: from a directory (its manifest
 * read, `src/index.ts` bundled) or from a source such as a registered
 * extension (`resolveExtension`).
 */
export async function loadExtension(extension: string | ExtensionSource, options: LoadExtensionOptions): Promise<LoadedExtension> {
  const source = typeof extension === 'string' ? await directorySource(extension) : extension;
  const { dir, loaded, origin } = source;
  const { manifest } = loaded;
  const { name, type, version, description } = manifest.extension;
  const identity: ExtensionIdentity = Object.freeze({ name, type, version, ...(description === undefined ? {} : { description }) });
  const limits = resolveLimits(manifest.limits, options.limitCaps ?? LIMIT_CAPS);
  const env = options.env ?? process.env;
  const home = options.home ?? os.homedir();
  const requested = requestedPermissions(loaded, home);
  const operator = normalizeSet(options.grant ?? {}, permissionKinds, home, (key, index, message) =>
    new ProvError('Usage', `The operator grant ${key}[${index}] is malformed: ${message}`, { hint: 'See the grant grammar in PRODUCT.md §3.1.' }),
  );
  const resolvedGrant = await resolveGrant({
    extension: name, version, requested, operator, kinds: permissionKinds, prompter: options.prompter ?? denyingPrompter,
    ...(options.recordAlways === undefined ? {} : { recordAlways: options.recordAlways }),
    source: dir, home,
  });
  const reserved = [provHome(env), secretsFile(env), ...(options.reservedPaths ?? [])].map(realPath);
  const grant: GrantView = { ...resolvedGrant, reserved };
  const secretNames = [...(grant.granted.secrets ?? []).map((entry) => parseSecretGrant(entry).name), ...(grant.granted.secrets_read ?? [])];
  const secretSource = options.secrets ?? new ChainedSecretSource([new EnvSecretSource(env), new FileSecretSource(secretsFile(env))]);
  const secrets = secretNames.length === 0 ? new Map<string, string>() : resolveSecretValues(secretNames, secretSource);
  const masker = new SecretMasker(secrets.values());
  const log = maskLog(options.log, masker);
  const audit = maskAudit(options.audit ?? new FileAuditLog(auditLogFile(env)), masker);
  const inventory = options.inventory ?? readInventory(env);
  const servers = inventory.filter((server) => (grant.granted.servers ?? []).some((entry) => serverMatches(entry, server)));
  const ssh: SshEnvironment = { home, ...(env['SSH_AUTH_SOCK'] === undefined ? {} : { authSock: env['SSH_AUTH_SOCK'] }) };
  const common = { identity, limits, log, audit, grant, secrets };
  // With no secret values there is nothing to mask: callers get the sandbox itself.
  const masked = (sandbox: ExtensionSandbox): ExtensionSandbox => (masker.empty ? sandbox : new MaskedSandbox(sandbox, masker));
  if (options.isolation === 'in-process') {
    const bundle = await source.bundle();
    const sandbox = await IsolateSandbox.load({
      bundle, ...common, servers: new ServerAccess(servers, ssh),
      ...(options.codeCache === undefined ? {} : { codeCache: options.codeCache }),
      ...(options.capabilities === undefined ? {} : { capabilities: options.capabilities }),
    });
    return { dir, origin, manifest, identity, bundle, limits, grant, sandbox: masked(sandbox) };
  }
  // The host process starts while esbuild bundles: its ~40 ms start-up is hidden behind the build.
  const host = options.host ?? SandboxHost.spawn();
  try {
    const bundle = await source.bundle();
    // A registered bundle runs only as the sha256 the registry recorded. V8 accepts a code cache for any
    // source of the same length, so a cache file planted under $PROV_HOME would run other code past that
    // check: registered bundles are compiled from their checked text (a cache in memory only).
    const codeCacheDir = options.codeCacheDir === undefined || origin === 'registry' ? {} : { codeCacheDir: options.codeCacheDir };
    const sandbox = await Sandbox.load({ bundle, ...common, servers, ssh, host, ...codeCacheDir });
    return { dir, origin, manifest, identity, bundle, limits, grant, sandbox: masked(sandbox) };
  } catch (error) {
    host.kill();
    throw error;
  }
}

