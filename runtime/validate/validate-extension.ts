import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { toKebabCase } from '../data/operation-names.js';
import { ProvError } from '../errors/index.js';
import { loadExtension } from '../extension/load-extension.js';
import { manifestFindings } from '../manifest/manifest-findings.js';
import { MANIFEST_FILE, parseManifest } from '../manifest/read-manifest.js';
import type { ExtensionKind, Manifest } from '../manifest/manifest-schema.js';
import { closest } from '../manifest/manifest-findings.js';
import { requestedPermissions } from '../manifest/requested-permissions.js';
import { provVersion } from '../package-root.js';
import type { ExtensionDescription } from '../../host-api/guest-protocol.js';
import type { ExtensionBundle } from '../build/bundle-extension.js';
import { Registry } from '../registry/registry.js';
import { dependencyFindings, manifestDependencies, type RegisteredDependency } from './dependency-rule.js';
import type { Finding } from './finding.js';
import { OPTIONAL_OPERATIONS, REQUIRED_OPERATIONS } from './required-operations.js';

/** Host API majors this runtime serves. */
export const SERVED_API_MAJORS = [1];
const REQUIRED_FILES = ['metadata.toml', 'src/index.ts', 'README.md', 'API.md', 'EXAMPLES.md', 'CHANGELOG.md'];
/** What an extension folder holds (PRODUCT.md §1); anything else at the top is left out of the build without a word. */
const KNOWN_ENTRIES = new Set([
  ...REQUIRED_FILES.filter((file) => !file.includes('/')),
  'src', 'templates', 'tests', 'dist', 'node_modules', 'package.json', 'package-lock.json', 'tsconfig.json',
  'templates.d.ts', 'LICENSE', 'LICENSE.md', 'CONTRIBUTING.md', 'SECURITY.md',
]);

export interface ValidationReport {
  dir: string;
  findings: Finding[];
  errors: number;
  warnings: number;
}

/**
 * Runs every validation rule on the extension in `dir` and returns every
 * finding (it does not stop at the first): structure, schema, interface
 * (the bundle loaded in the sandbox), dependency and version. The dev loop
 * reuses it as a library call.
 */
export async function validateExtension(extensionDir: string, options: ValidateOptions = {}): Promise<ValidationReport> {
  return (await inspectExtension(extensionDir, options)).report;
}

export interface ValidateOptions {
  env?: NodeJS.ProcessEnv;
  /** The registered extensions the dependency rule checks against; default: the registry in $PROV_HOME. */
  registered?: readonly RegisteredDependency[];
}

/** What validation built on the way: the bundle and what it exports (`prov register` stores both). */
export interface BuiltExtension {
  /** The metadata.toml text validated. */
  manifestSource: string;
  bundle: ExtensionBundle;
  description: ExtensionDescription;
}

/** Validation, and the build it made when the extension got as far as loading in the sandbox. */
export async function inspectExtension(extensionDir: string, options: ValidateOptions = {}): Promise<{ report: ValidationReport; built?: BuiltExtension }> {
  let built: BuiltExtension | undefined;
  const report = await validate(extensionDir, options, (value) => (built = value));
  return built === undefined ? { report } : { report, built };
}

async function validate(extensionDir: string, options: ValidateOptions, keep: (built: BuiltExtension) => void): Promise<ValidationReport> {
  const dir = path.resolve(extensionDir);
  const checked = staticValidation(dir, options);
  const findings = [...checked.findings];
  if (checked.loadable) {
    // interface: the built extension, loaded in the sandbox
    try {
      const loaded = await loadExtension(dir, { log: { write() {} }, audit: { write() {} }, inventory: [], ...(options.env === undefined ? {} : { env: options.env }) });
      try {
        const description = await loaded.sandbox.describe();
        keep({ manifestSource: checked.manifestSource!, bundle: loaded.bundle, description });
        findings.push(...interfaceFindings(checked.manifest!.extension.type, description));
      } finally {
        loaded.sandbox.dispose();
      }
    } catch (error) {
      findings.push(loadFailureFinding(error));
    }
  }
  return validationReport(dir, findings);
}

/** What validation knows before the extension is built and loaded. */
export interface StaticValidation {
  findings: Finding[];
  /** The manifest, when it passed the schema. */
  manifest?: Manifest;
  manifestSource?: string;
  /** Whether the interface rule can run: a manifest that parses, permissions that do, an entry point. */
  loadable: boolean;
}

/**
 * Every rule that needs no build: structure, schema, version and
 * dependency. The dev loop runs it on each cycle beside its own build, and
 * the interface rule on the sandbox it loads (`interfaceFindings`).
 */
export function staticValidation(extensionDir: string, options: ValidateOptions = {}): StaticValidation {
  const dir = path.resolve(extensionDir);
  const findings: Finding[] = [];
  const add = (finding: Finding) => findings.push(finding);
  const done = (extra: Omit<StaticValidation, 'findings' | 'loadable'> & { loadable?: boolean } = {}): StaticValidation => ({ findings, loadable: false, ...extra });

  // structure
  for (const file of REQUIRED_FILES) {
    if (!existsSync(path.join(dir, file))) {
      add({ rule: 'structure', severity: 'error', file, message: `${file} is missing`, hint: file === 'src/index.ts' ? 'The entry: export default defineProvider / defineTaskserv / defineCluster.' : 'Every extension documents itself: README.md, API.md, EXAMPLES.md, CHANGELOG.md.' });
    }
  }
  for (const entry of existsSync(dir) ? readdirSync(dir) : []) {
    if (entry.startsWith('.') || KNOWN_ENTRIES.has(entry)) continue;
    add({
      rule: 'structure', severity: 'warning', file: entry,
      message: `${entry} is not part of an extension: the build ignores it`,
      hint: 'Code goes under src/ (imported from src/index.ts), text files under templates/, tests under tests/.',
    });
  }
  const manifestFile = path.join(dir, MANIFEST_FILE);
  if (!existsSync(manifestFile)) return done();
  const source = readFileSync(manifestFile, 'utf8');

  // schema
  const schemaFindings = manifestFindings(source, MANIFEST_FILE);
  findings.push(...schemaFindings.map(({ field: _field, ...finding }) => finding));
  if (schemaFindings.length > 0) return done({ manifestSource: source });
  const manifest = parseManifest(source, manifestFile);
  let permissionsBroken = false;
  try {
    requestedPermissions({ manifest, file: MANIFEST_FILE, source }, '/home/operator');
  } catch (error) {
    permissionsBroken = true;
    const known = error as ProvError;
    add({ rule: 'schema', severity: 'error', file: MANIFEST_FILE, ...lineOf(known), message: known.message.replace(`${MANIFEST_FILE}`, '').replace(/^:\d+: /, ''), ...(known.hint === undefined ? {} : { hint: known.hint }) });
  }

  // version
  const version = manifest.extension.version;
  const compatibility = (manifest as Record<string, unknown>)['compatibility'] as { prov?: string; api?: number } | undefined;
  if (compatibility?.prov !== undefined) {
    if (semver.validRange(compatibility.prov) === null) add({ rule: 'version', severity: 'error', file: MANIFEST_FILE, message: `[compatibility] prov = ${JSON.stringify(compatibility.prov)} is not a semver range`, hint: 'For example ">=0.1.0 <1.0.0".' });
    else if (!semver.satisfies(provVersion(), compatibility.prov)) add({ rule: 'version', severity: 'error', file: MANIFEST_FILE, message: `this prov is ${provVersion()}, outside [compatibility] prov = ${JSON.stringify(compatibility.prov)}`, hint: 'Widen the range if the extension works here, or run a prov it was written for.' });
  } else add({ rule: 'version', severity: 'warning', file: MANIFEST_FILE, message: '[compatibility] prov is not set', hint: 'Say which prov runtimes can host it, e.g. prov = ">=0.1.0 <1.0.0".' });
  if (compatibility?.api !== undefined && !SERVED_API_MAJORS.includes(compatibility.api)) {
    add({ rule: 'version', severity: 'error', file: MANIFEST_FILE, message: `[compatibility] api = ${compatibility.api}: this prov serves host API ${SERVED_API_MAJORS.join(', ')}` });
  }
  const changelog = path.join(dir, 'CHANGELOG.md');
  if (existsSync(changelog)) {
    const text = readFileSync(changelog, 'utf8');
    const heading = new RegExp(`^#{1,6}\\s*\\[?v?${version.replace(/[.+]/g, '\\$&')}\\]?(\\s|$)`, 'm');
    if (!heading.test(text)) add({ rule: 'version', severity: 'error', file: 'CHANGELOG.md', message: `no entry for the current version ${version}`, hint: `Add a heading "## ${version}" with what changed.` });
  }

  // dependency
  const dependencies = ((manifest as Record<string, unknown>)['dependencies'] ?? {}) as Record<string, string>;
  findings.push(...dependencyFindings(manifest.extension.name, dependencies, options.registered ?? registeredDependencies(options.env)));

  return done({ manifest, manifestSource: source, loadable: existsSync(path.join(dir, 'src', 'index.ts')) && !permissionsBroken });
}

/** The interface rule on a loaded extension's description: required operations, and input schemas with a JSON Schema form. */
export function interfaceFindings(kind: ExtensionKind, description: ExtensionDescription): Finding[] {
  const findings: Finding[] = [];
  checkInterface(kind, description.operations.map((op) => op.name), (finding) => findings.push(finding));
  for (const op of description.operations) {
    if (op.inputSchemaError !== undefined) findings.push({ rule: 'schema', severity: 'error', file: 'src/index.ts', message: `${toKebabCase(op.name)}: its input schema has no JSON Schema form (${op.inputSchemaError})`, hint: 'info publishes every input as JSON Schema; use zod types that have one (no transforms or custom checks at the top).' });
  }
  return findings;
}

/** A build or load that failed, as an interface finding. */
export function loadFailureFinding(error: unknown): Finding {
  const known = error instanceof ProvError ? error : new ProvError('Internal', String(error));
  const file = known.code === 'BuildFailed' || known.code === 'InvalidExtension' ? 'src/index.ts' : MANIFEST_FILE;
  return { rule: 'interface', severity: 'error', file, message: known.message, ...(known.hint === undefined ? {} : { hint: known.hint }) };
}

/** The registry's extensions as the dependency rule sees them. */
function registeredDependencies(env?: NodeJS.ProcessEnv): RegisteredDependency[] {
  const registry = Registry.open(env);
  try {
    return registry.list().map((entry) => ({ name: entry.name, type: entry.type, version: entry.version, dependencies: manifestDependencies(entry.manifest) }));
  } finally {
    registry.close();
  }
}

/** Required operations present; a missing one named in both spellings, with "did you mean" for a near export. */
function checkInterface(kind: ExtensionKind, exported: string[], add: (finding: Finding) => void): void {
  const required = REQUIRED_OPERATIONS[kind];
  const known = [...required, ...OPTIONAL_OPERATIONS[kind]];
  const extra = exported.filter((name) => !known.includes(name));
  for (const name of required) {
    if (exported.includes(name)) continue;
    const near = closest(name, extra);
    add({
      rule: 'interface', severity: 'error', file: 'src/index.ts',
      message: `the ${kind} does not define ${toKebabCase(name)} (${name})`,
      hint: near === undefined ? `Add ${name} to the object passed to define${kind[0]!.toUpperCase()}${kind.slice(1)}.` : `Did you mean "${name}"? The extension defines "${near}".`,
    });
  }
}

function lineOf(error: ProvError): { line?: number } {
  const match = /:(\d+):/.exec(error.message);
  return match === null ? {} : { line: Number(match[1]) };
}

/** Findings counted into a report. */
export function validationReport(dir: string, findings: Finding[]): ValidationReport {
  return { dir, findings, errors: findings.filter((finding) => finding.severity === 'error').length, warnings: findings.filter((finding) => finding.severity === 'warning').length };
}
