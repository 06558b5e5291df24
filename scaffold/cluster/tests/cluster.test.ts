import { describe, expect, it, loadForTest, type PlainObject } from 'prov/testing';

// Run with `prov test`: each test loads the sandboxed build of this extension
// (metadata.toml, src/ bundled, an isolate) with a grant of its own.

interface Component {
  name: string;
  dependencies: string[];
}

describe('{{name}}', () => {
  it('declares its components with their dependencies, as prov orders them', async () => {
    await using ext = await loadForTest();
    const { result } = await ext.run('info');
    const info = result as PlainObject & { kind: string; components: Component[]; operations: { name: string }[] };
    expect(info.kind).toBe('cluster');
    expect(info.components.map(({ name, dependencies }) => [name, dependencies])).toEqual([
      ['containerd', []],
      ['buildkit', ['containerd']],
      ['registry', []],
    ]);
    // Every dependency is a component of the cluster, declared before the component that needs it.
    const names = info.components.map((component) => component.name);
    for (const [index, component] of info.components.entries()) {
      for (const dependency of component.dependencies) expect(names.indexOf(dependency)).toBeLessThan(index);
    }
    expect(info.operations.map((operation) => operation.name)).toEqual(['status']);
  });

  it('status reads each component\'s unit on the server, and nothing else', async () => {
    await using ext = await loadForTest({ grant: 'requested' });
    const { result, changed, plan, audit } = await ext.run('status', undefined, { target: 'local', check: true });
    expect(result).toMatchObject({
      cluster: '{{name}}',
      server: 'local',
      components: [
        { name: 'containerd', unit: 'containerd.service' },
        { name: 'buildkit', unit: 'buildkit.service' },
        { name: 'registry', unit: 'registry.service' },
      ],
    });
    // `systemctl show` only reads: it runs under check mode, and plans nothing.
    expect(changed).toBe(false);
    expect(plan).toEqual([]);
    expect(audit.map((record) => [record.call, record.target, record.decision]).sort()).toEqual([
      ['systemctl', 'local: systemctl show buildkit.service', 'allowed'],
      ['systemctl', 'local: systemctl show containerd.service', 'allowed'],
      ['systemctl', 'local: systemctl show registry.service', 'allowed'],
    ]);
  });

  it('status is denied without the systemctl grant', async () => {
    await using ext = await loadForTest({ grant: { servers: ['local'] } });
    await expect(ext.run('status', undefined, { target: 'local' })).rejects.toMatchObject({ code: 'PermissionDenied' });
    expect(ext.audit.some((record) => record.decision === 'denied' && record.permission?.key === 'systemctl')).toBe(true);
    expect(ext.audit.filter((record) => record.decision !== 'denied')).toEqual([]);
  });

  it('status needs a server', async () => {
    await using ext = await loadForTest({ grant: 'requested' });
    await expect(ext.run('status')).rejects.toMatchObject({ code: 'OperationFailed', message: expect.stringContaining('--server') });
  });
});
