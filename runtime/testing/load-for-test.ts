import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditRecord } from '../../host-api/audit/audit-record.js';
import type { LogEntry } from '../../host-api/capability.js';
import type { GrantView } from '../../host-api/grants/grant-view.js';
import type { PermissionSet } from '../../host-api/grants/permission-keys.js';
import { mergeSets } from '../../host-api/policy/resolve-grant.js';
import { MapSecretSource } from '../../host-api/secrets/secret-source.js';
import type { ExtensionIdentity } from '../../host-api/sdk/context.js';
import type { PlainValue } from '../data/plain-data.js';
import { ProvError } from '../errors/index.js';
import { directorySource, type ExtensionSource } from '../extension/extension-source.js';
import { loadExtension, type LoadedExtension } from '../extension/load-extension.js';
import { LOCAL_SERVER, type ServerRecord } from '../inventory/server-record.js';
import { runOperation } from '../run/run-operation.js';
import type { OperationResult } from '../sandbox/operation-result.js';
import { MANIFEST_FILE } from '../manifest/read-manifest.js';
import { expect } from 'vitest';

/** How `loadForTest` sets up the extension under test. Nothing here reads the operator's policy, secrets, inventory or home. */
export interface LoadForTestOptions {
  /**
   * The operator's grant, in `[permissions]` spelling (what `--allow-…`
   * flags give `prov run`). The extension gets what its metadata.toml
   * requests ∩ this, exactly as under `prov run`; `'requested'` grants all
   * it requests. Default: nothing, so every gated call is denied.
   *
   * @example
   * { http: ['http://127.0.0.1:8080'], secrets: ['acme.token'], fs_read: ['~/.config/acme'] }
   */
  grant?: PermissionSet | 'requested';
  /**
   * Test-only additions to what metadata.toml requests, for endpoints that
   * exist only in tests (a local API emulator). They are still granted only
   * when `grant` grants them too.
   *
   * @example
   * { http: [api.origin] } // api = await startTestServer(…)
   */
  alsoRequest?: PermissionSet;
  /**
   * Secret values by name: all the extension can get, whatever is in the
   * environment (`PROV_SECRET_…`) or the operator's secrets file.
   *
   * @example
   * { 'acme.token': 'test-token' }
   */
  secrets?: Readonly<Record<string, string>>;
  /**
   * Files in the home directory the extension sees (`~/…` in its paths and
   * grants): a fresh temporary directory holding only these, removed by
   * `close()`. Keys are relative to it (a leading `~/` is allowed).
   *
   * @example
   * { '.config/acme/settings.json': JSON.stringify({ api: { base_url: `${api.origin}/v1` } }) }
   */
  home?: Readonly<Record<string, string>>;
  /** The inventory the extension may be granted servers of; default: only `local` (this machine, reached without SSH). */
  servers?: readonly ServerRecord[];
  /**
   * `process` (the default, as `prov run`): the isolate runs in a supervised
   * child process. `in-process`: in the test's own process (faster to load;
   * a V8 heap abort there ends the test run).
   */
  isolation?: 'process' | 'in-process';
}

/** How one operation runs under test. */
export interface TestRunOptions {
  /** Check mode (`--check`): no mutating call is performed; the outcome carries the plan. */
  check?: boolean;
  /** The inventory server the operation acts on (`--server`, `ctx.target`). */
  target?: string;
}

/** What one operation returned, and the host calls it made. */
export interface TestOutcome extends OperationResult {
  /** The audit records of this operation's gated calls, in order (also in `ext.audit`). */
  audit: AuditRecord[];
  /** Its `ctx.log` lines (also in `ext.logs`). */
  logs: LogEntry[];
}

/**
 * An extension loaded by `loadForTest`: its sandboxed build, ready to run
 * operations, with everything it did recorded in memory.
 */
export interface TestExtension extends AsyncDisposable {
  /** name, type and version from metadata.toml. */
  readonly identity: ExtensionIdentity;
  /** The extension's directory. */
  readonly dir: string;
  /** The temporary directory that is `~` to the extension. */
  readonly home: string;
  /** What it requested and what it was granted (requested ∩ `grant`). */
  readonly grant: GrantView;
  /**
   * Every gated host call since the extension loaded (`http.fetch`,
   * `fs.readFile`, `systemctl`, …), allowed, denied or planned, in order;
   * secret values masked, as in the audit log `prov audit` reads.
   */
  readonly audit: readonly AuditRecord[];
  /** Every `ctx.log` line since the extension loaded. */
  readonly logs: readonly LogEntry[];
  /**
   * Runs an operation by either spelling (`create-server` or
   * `createServer`; `info` describes the extension). A failure rejects with
   * a ProvError carrying the same code `prov run` reports: `InvalidInput`,
   * `PermissionDenied`, `OperationFailed`, `LimitExceeded`, …
   *
   * @example
   * const { result, changed, plan, audit } = await ext.run('create-server', { hostname: 'web-1', plan: 'small' }, { check: true });
   * await expect(ext.run('list-servers')).rejects.toMatchObject({ code: 'PermissionDenied' });
   */
  run(operation: string, input?: PlainValue, options?: TestRunOptions): Promise<TestOutcome>;
  /** Ends the sandbox and removes the temporary home. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Loads an extension the way `prov run` does — metadata.toml read, the
 * sources bundled with esbuild, the bundle run in an isolate — with a grant,
 * secrets, home and inventory of the test's own, and the audit records and
 * log lines kept in memory rather than written under $PROV_HOME.
 *
 * @param extension The extension's directory: a path, or a `file:` URL such
 *   as `new URL('..', import.meta.url)`. Default: the extension the running
 *   test file is in (the nearest directory above it with a metadata.toml).
 *
 * @example
 * import { describe, expect, it, loadForTest, startTestServer } from 'prov/testing';
 *
 * it('lists the servers the API has', async () => {
 *   await using api = await startTestServer(() => ({ body: { servers: [] } }));
 *   await using ext = await loadForTest({
 *     alsoRequest: { http: [api.origin] },
 *     grant: { http: [api.origin], secrets: ['acme.token'] },
 *     secrets: { 'acme.token': 'test-token' },
 *   });
 *   const { result, audit } = await ext.run('list-servers');
 *   expect(result).toEqual([]);
 *   expect(audit.map((record) => record.decision)).toEqual(['allowed']);
 * });
 */
export async function loadForTest(options?: LoadForTestOptions): Promise<TestExtension>;
export async function loadForTest(extension: string | URL, options?: LoadForTestOptions): Promise<TestExtension>;
export async function loadForTest(first?: string | URL | LoadForTestOptions, second?: LoadForTestOptions): Promise<TestExtension> {
  const explicit = typeof first === 'string' || first instanceof URL;
  const options = (explicit ? second : first) ?? {};
  const dir = explicit ? (typeof first === 'string' ? path.resolve(first) : fileURLToPath(first)) : extensionOfRunningTest();
  const source = withAlsoRequested(await directorySource(dir), options.alsoRequest);
  const home = await mkdtemp(path.join(os.tmpdir(), 'prov-test-ext-home-'));
  try {
    await writeHomeFiles(home, options.home ?? {});
    const audit: AuditRecord[] = [];
    const logs: LogEntry[] = [];
    const servers = [...(options.servers ?? [LOCAL_SERVER])];
    const grant = options.grant === 'requested' ? (source.loaded.manifest.permissions ?? {}) : (options.grant ?? {});
    const loaded = await loadExtension(source, {
      log: { write: (entry) => void logs.push(entry) },
      audit: { write: (record) => void audit.push(record) },
      secrets: new MapSecretSource(options.secrets ?? {}),
      grant,
      home,
      inventory: servers,
      isolation: options.isolation ?? 'process',
    });
    return new LoadedTestExtension(loaded, home, servers, audit, logs);
  } catch (error) {
    await rm(home, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The nearest directory with a metadata.toml above the test file vitest is
 * running, else above the current directory.
 */
function extensionOfRunningTest(): string {
  let testPath: string | undefined;
  try {
    testPath = expect.getState().testPath;
  } catch {
    // not inside a vitest test: the current directory
  }
  const start = testPath === undefined ? process.cwd() : path.dirname(testPath);
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, MANIFEST_FILE))) return dir;
    if (path.dirname(dir) === dir) {
      throw new ProvError('ManifestNotFound', `loadForTest: no ${MANIFEST_FILE} in ${start} or any directory above it`, {
        hint: "Pass the extension's directory: loadForTest('path/to/extension', { … }).",
      });
    }
  }
}

/** The manifest as read, with the test's additions to `[permissions]`. */
function withAlsoRequested(source: ExtensionSource, extra: PermissionSet | undefined): ExtensionSource {
  if (extra === undefined) return source;
  const { manifest } = source.loaded;
  const permissions = mergeSets(manifest.permissions ?? {}, extra);
  return { ...source, loaded: { ...source.loaded, manifest: { ...manifest, permissions } } };
}

async function writeHomeFiles(home: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    const relative = name.startsWith('~/') ? name.slice(2) : name;
    const file = path.resolve(home, relative);
    if (path.isAbsolute(relative) || !file.startsWith(`${home}${path.sep}`)) {
      throw new ProvError('Usage', `loadForTest: home file ${JSON.stringify(name)} is not inside the test's home`, {
        hint: 'Name home files relative to it: ".config/acme/settings.json" or "~/.config/acme/settings.json".',
      });
    }
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}

class LoadedTestExtension implements TestExtension {
  readonly identity: ExtensionIdentity;
  readonly dir: string;
  readonly grant: GrantView;
  #closed = false;

  constructor(
    private readonly loaded: LoadedExtension,
    readonly home: string,
    private readonly servers: readonly ServerRecord[],
    readonly audit: AuditRecord[],
    readonly logs: LogEntry[],
  ) {
    this.identity = loaded.identity;
    this.dir = loaded.dir;
    this.grant = loaded.grant;
  }

  async run(operation: string, input?: PlainValue, options: TestRunOptions = {}): Promise<TestOutcome> {
    if (this.#closed) throw new ProvError('Usage', `${this.identity.name}: run("${operation}") after close()`, { hint: 'Load the extension again with loadForTest.' });
    const { target } = options;
    if (target !== undefined && !this.servers.some((server) => server.name === target)) {
      throw new ProvError('Usage', `No server named "${target}" in the test's inventory`, {
        hint: `Add it with loadForTest(dir, { servers: [...] }); the default inventory has only "local".`,
      });
    }
    const [auditFrom, logsFrom] = [this.audit.length, this.logs.length];
    const outcome = await runOperation(this.loaded, operation, input, {
      check: options.check ?? false,
      ...(target === undefined ? {} : { target: { name: target } }),
    });
    return { ...outcome, audit: this.audit.slice(auditFrom), logs: this.logs.slice(logsFrom) };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.loaded.sandbox.dispose();
    } finally {
      await rm(this.home, { recursive: true, force: true });
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
