import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** Operations of the bench's own provider, on top of the stand-ins for getPlans and validateConfig. */
export const ROUND_TRIP_OPERATION = 'hostRoundTrip';
export const NOOP_OPERATION = 'noop';

const REQUIRED_PROVIDER_OPERATIONS = [
  'createServer', 'deleteServer', 'listServers', 'getServerInfo', 'startServer', 'stopServer', 'rebootServer',
  'getPricing', 'getZones', 'getSshAccess', 'configureFirewall',
];

/**
 * A small provider written by the bench into a temporary directory. It
 * carries the round-trip operation (`for (i < n) await ctx.log.debug('x')`),
 * a no-op, and stand-ins for the reference extension's `getPlans` (no input)
 * and `validateConfig` (zod input), used when extensions/hetzner is missing.
 */
const SOURCE = `import { defineOperation, defineProvider } from 'prov/sdk';
import * as z from 'prov/sdk/zod';

const PLANS = [
  { name: 'cx22', cores: 2, memory_mb: 4096, disk_gb: 40, description: 'Shared vCPU, Intel' },
  { name: 'cx32', cores: 4, memory_mb: 8192, disk_gb: 80, description: 'Shared vCPU, Intel' },
  { name: 'cx42', cores: 8, memory_mb: 16384, disk_gb: 160, description: 'Shared vCPU, Intel' },
  { name: 'cpx11', cores: 2, memory_mb: 2048, disk_gb: 40, description: 'Shared vCPU, AMD' },
  { name: 'cpx21', cores: 3, memory_mb: 4096, disk_gb: 80, description: 'Shared vCPU, AMD' },
  { name: 'ccx13', cores: 2, memory_mb: 8192, disk_gb: 80, description: 'Dedicated vCPU, AMD' },
];
const ZONES = ['fsn1', 'nbg1', 'hel1', 'ash', 'hil', 'sin'];

const ServerConfig = z.object({
  hostname: z.string().check(z.minLength(1), z.maxLength(63), z.regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/)),
  plan: z.string(),
  zone: z.string(),
  os: z._default(z.string(), 'debian-12'),
  tags: z._default(z.record(z.string(), z.string()), {}),
});

export default defineProvider({
${REQUIRED_PROVIDER_OPERATIONS.map((name) => `  async ${name}() { return null; },`).join('\n')}
  async getPlans() { return [...PLANS]; },
  validateConfig: defineOperation({
    input: ServerConfig,
    run(config) {
      const errors = [];
      if (!PLANS.some((plan) => plan.name === config.plan)) errors.push('unknown plan ' + config.plan);
      if (!ZONES.includes(config.zone)) errors.push('unknown zone ' + config.zone);
      return { valid: errors.length === 0, errors, warnings: [] };
    },
  }),
  async ${ROUND_TRIP_OPERATION}(input, ctx) {
    for (let i = 0; i < input.n; i++) await ctx.log.debug('x');
    return input.n;
  },
  async ${NOOP_OPERATION}() { return null; },
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
