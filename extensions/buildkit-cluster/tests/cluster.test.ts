import { describe, expect, it, loadForTest, type PlainObject } from 'prov/testing';

// Run with `prov test`: the sandboxed build of this cluster.

interface Component {
  name: string;
  taskserv: string;
  version: string;
  dependencies: string[];
  config: Record<string, unknown>;
}

describe('buildkit-cluster', () => {
  it('declares the registry, then containerd with the registry as its docker.io mirror', async () => {
    await using ext = await loadForTest();
    const { result } = await ext.run('info');
    const info = result as PlainObject & { kind: string; components: Component[] };
    expect(info.kind).toBe('cluster');
    expect(info.components.map(({ name, taskserv, version, dependencies }) => [name, taskserv, version, dependencies])).toEqual([
      ['registry', 'registry', '^0.1.0', []],
      ['containerd', 'containerd', '^0.1.0', ['registry']],
    ]);
    expect(info.components[0]!.config).toEqual({ address: '127.0.0.1', port: 5000, storage_path: '/var/lib/registry' });
    expect(info.components[1]!.config).toEqual({ registry_mirrors: { 'docker.io': ['http://127.0.0.1:5000'] } });
  });

  it('status reads each component\'s unit on the server, and nothing else', async () => {
    await using ext = await loadForTest({ grant: 'requested' });
    const { result, changed, plan } = await ext.run('status', undefined, { target: 'local', check: true });
    expect(result).toMatchObject({ cluster: 'buildkit-cluster', server: 'local', components: [{ name: 'registry', unit: 'registry.service' }, { name: 'containerd', unit: 'containerd.service' }] });
    expect([changed, plan]).toEqual([false, []]);
  });
});
