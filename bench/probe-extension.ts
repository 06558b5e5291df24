import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Operations of the bench's own provider. */
export const ROUND_TRIP_OPERATION = 'hostRoundTrip';
export const NOOP_OPERATION = 'noop';
/** `input.n` ctx.fs.exists calls on `input.path`, `input.concurrency` at a time; denials are caught and counted. */
export const EXISTS_OPERATION = 'existsLoop';

const REQUIRED_PROVIDER_OPERATIONS = [
  'createServer', 'deleteServer', 'listServers', 'getServerInfo', 'startServer', 'stopServer', 'rebootServer',
  'getPricing', 'getPlans', 'getZones', 'getSshAccess', 'configureFirewall',
];

/**
 * A small provider written by the bench into a temporary directory. It
 * carries the round-trip operation (`for (i < n) await ctx.log.debug('x')`)
 * and a no-op; the figures for real operations come from the reference
 * extension (extensions/hetzner).
 */
const SOURCE = `import { defineProvider } from 'prov/sdk';

export default defineProvider({
${REQUIRED_PROVIDER_OPERATIONS.map((name) => `  async ${name}() { return null; },`).join('\n')}
  async ${ROUND_TRIP_OPERATION}(input, ctx) {
    for (let i = 0; i < input.n; i++) await ctx.log.debug('x');
    return input.n;
  },
  async ${NOOP_OPERATION}() { return null; },
  async ${EXISTS_OPERATION}(input, ctx) {
    let allowed = 0;
    let denied = 0;
    const one = async () => {
      try {
        await ctx.fs.exists(input.path);
        allowed++;
      } catch (error) {
        if (error.code !== 'PermissionDenied') throw error;
        denied++;
      }
    };
    if (input.concurrency <= 1) {
      for (let i = 0; i < input.n; i++) await one();
    } else {
      for (let i = 0; i < input.n; i += input.concurrency) {
        await Promise.all(Array.from({ length: Math.min(input.concurrency, input.n - i) }, one));
      }
    }
    return { allowed, denied };
  },
} as any);
`;

const MANIFEST = `[extension]
name = "prov-bench-probe"
type = "provider"
version = "0.1.0"
description = "prov's benchmark probe"
`;

export interface TempExtension {
  dir: string;
  cleanup(): Promise<void>;
}

/** Writes the probe extension into a fresh directory under the OS temp dir. */
export async function writeProbeExtension(): Promise<TempExtension> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'prov-bench-'));
  const dir = path.join(root, 'probe');
  await mkdir(path.join(dir, 'src'), { recursive: true });
  await writeFile(path.join(dir, 'metadata.toml'), MANIFEST);
  await writeFile(path.join(dir, 'src', 'index.ts'), SOURCE);
  return { dir, cleanup: () => rm(root, { recursive: true, force: true }) };
}
