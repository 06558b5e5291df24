import { describe, expect, it } from 'vitest';
import { runProv } from '../helpers/run-cli.js';
import { createTempExtension } from '../helpers/temp-extension.js';

describe('every extension kind runs', () => {
  it('a task service: its operations with schemas and ctx', async () => {
    const ext = await createTempExtension({
      name: 'registry',
      type: 'taskserv',
      source: `import { defineOperation, defineTaskserv } from 'prov/sdk';
import * as z from 'prov/sdk/zod';
import unit from '../templates/registry.service';

const done = async () => ({ ok: true });
export default defineTaskserv({
  install: defineOperation({
    input: z.object({ version: z.string(), port: z._default(z.int().check(z.minimum(1), z.maximum(65535)), 5000) }),
    description: 'Install the registry',
    async run({ version, port }, ctx) {
      await ctx.log.info(\`installing \${version} on \${ctx.target?.name ?? 'no target'}\`);
      return { unit: unit.replace('{{port}}', String(port)), check: ctx.check };
    },
  }),
  uninstall: done, configure: done, restart: done, upgrade: done,
  status: async (_input, ctx) => ({ service: ctx.extension.name, state: 'active' }),
  getCurrentVersion: async () => '2.8.0',
  getAvailableVersions: async () => ['2.8.0', '2.8.3'],
  checkUpdates: async () => ({ current: '2.8.0', latest: '2.8.3', update_available: true }),
});
`,
      files: { 'templates/registry.service': '[Service]\nExecStart=/usr/local/bin/registry serve --port {{port}}\n' },
    });
    try {
      const run = await runProv(['run', ext.dir, 'install', '--check', '--json', '--input', '{"version":"2.8.3"}']);
      expect(run.json).toEqual({
        ok: true,
        result: { unit: '[Service]\nExecStart=/usr/local/bin/registry serve --port 5000\n', check: true },
        changed: false,
        plan: [],
      });
      expect(run.stderr).toContain('[info] registry: installing 2.8.3 on no target');
      const status = await runProv(['run', ext.dir, 'status', '--json']);
      expect(status.json.result).toEqual({ service: 'registry', state: 'active' });
      const updates = await runProv(['run', ext.dir, 'check-updates', '--json']);
      expect(updates.json.result).toEqual({ current: '2.8.0', latest: '2.8.3', update_available: true });
    } finally {
      await ext.cleanup();
    }
  });

  it('a cluster: components are data the runtime reads, hooks are operations', async () => {
    const ext = await createTempExtension({
      name: 'buildkit',
      type: 'cluster',
      source: `import { defineCluster } from 'prov/sdk';

export default defineCluster({
  components: [
    { name: 'containerd', version: '>=1.7.0' },
    { name: 'buildkit', version: '>=0.12.0', dependencies: ['containerd'], config: { worker_count: 4 } },
    { name: 'registry', version: '>=2.8.0', config: { storage_path: '/var/lib/registry' } },
  ],
  async status(_input, ctx) {
    return { cluster: ctx.extension.name, healthy: true };
  },
});
`,
    });
    try {
      const info = await runProv(['run', ext.dir, 'info', '--json']);
      expect(info.json.result.kind).toBe('cluster');
      expect(info.json.result.components).toEqual([
        { name: 'containerd', version: '>=1.7.0' },
        { name: 'buildkit', version: '>=0.12.0', dependencies: ['containerd'], config: { worker_count: 4 } },
        { name: 'registry', version: '>=2.8.0', config: { storage_path: '/var/lib/registry' } },
      ]);
      expect(info.json.result.operations.map((op: { name: string }) => op.name)).toEqual(['status']);
      const status = await runProv(['run', ext.dir, 'status', '--json']);
      expect(status.json.result).toEqual({ cluster: 'buildkit', healthy: true });
    } finally {
      await ext.cleanup();
    }
  });
});
