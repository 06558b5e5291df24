import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface TempExtensionOptions {
  name?: string;
  type?: 'provider' | 'taskserv' | 'cluster';
  version?: string;
  /** Extra metadata.toml text appended after [extension] (e.g. a [limits] table). */
  manifestExtra?: string;
  /** Replaces the whole metadata.toml. */
  manifest?: string;
  /** src/index.ts */
  source: string;
  /** Other files, relative to the extension directory. */
  files?: Record<string, string>;
}

export interface TempExtension {
  dir: string;
  cleanup(): Promise<void>;
}

/** The provider operations every provider must define; tests fill the ones they do not care about with this. */
export const PROVIDER_OPERATION_NAMES = [
  'createServer', 'deleteServer', 'listServers', 'getServerInfo', 'startServer', 'stopServer', 'rebootServer',
  'getPricing', 'getPlans', 'getZones', 'getSshAccess', 'configureFirewall',
] as const;

/**
 * Source of a provider whose operations are given as object-literal members
 * (`"async listServers() { … }"`); every other required operation returns null.
 */
export function providerSource(members: Record<string, string>, prologue = ''): string {
  const body = PROVIDER_OPERATION_NAMES.map((name) => members[name] ?? `async ${name}() { return null; }`);
  for (const [name, member] of Object.entries(members)) {
    if (!(PROVIDER_OPERATION_NAMES as readonly string[]).includes(name)) body.push(member);
  }
  return `import { defineProvider, defineOperation } from 'prov/sdk';
import * as z from 'prov/sdk/zod';
${prologue}
export default defineProvider({
${body.map((member) => `  ${member},`).join('\n')}
} as any);
`;
}

/** Writes an extension into a fresh temporary directory, outside this repository. */
export async function createTempExtension(options: TempExtensionOptions): Promise<TempExtension> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'prov-test-'));
  const dir = path.join(root, options.name ?? 'ext');
  await mkdir(path.join(dir, 'src'), { recursive: true });
  const manifest =
    options.manifest ??
    `[extension]
name = "${options.name ?? 'test-ext'}"
type = "${options.type ?? 'provider'}"
version = "${options.version ?? '0.1.0'}"
description = "test extension"
${options.manifestExtra ?? ''}
`;
  await writeFile(path.join(dir, 'metadata.toml'), manifest);
  await writeFile(path.join(dir, 'src', 'index.ts'), options.source);
  for (const [file, content] of Object.entries(options.files ?? {})) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
  }
  return { dir, cleanup: () => rm(root, { recursive: true, force: true }) };
}
