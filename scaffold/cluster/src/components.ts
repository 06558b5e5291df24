import type { ComponentSpec } from 'prov/sdk';

/**
 * The components, as data: prov reads them, orders them by `dependencies`
 * (a cycle is an error naming its path), deploys independent ones in
 * parallel, rolls back what it deployed when one fails and deletes in reverse
 * order. The extension's code never deploys anything itself.
 *
 * Each component is a registered task service (`taskserv`, default: its
 * name) in a version of the range `version`, installed with `config` as its
 * input. Every task service named here is also in metadata.toml's
 * [dependencies] with the same range.
 *
 * This is the seed's buildkit cluster: containerd, BuildKit on top of it,
 * and a registry for the images it builds.
 */
export const COMPONENTS: readonly ComponentSpec[] = [
  {
    name: 'containerd',
    type: 'taskserv',
    version: '>=1.7.0',
    dependencies: [],
  },
  {
    name: 'buildkit',
    type: 'taskserv',
    version: '>=0.12.0',
    dependencies: ['containerd'],
    config: {
      worker_count: 4,
      cache_size: '10Gi',
      registry_mirrors: ['registry:5000'],
    },
  },
  {
    name: 'registry',
    type: 'taskserv',
    version: '>=2.8.0',
    dependencies: [],
    config: {
      storage_driver: 'filesystem',
      storage_path: '/var/lib/registry',
      auth_enabled: false,
    },
    resources: { cpu: '500m', memory: '1Gi', storage: '50Gi', replicas: 1 },
  },
];

/** The systemd unit a component's task service runs (the status hook reads it). */
export function unitOf(component: ComponentSpec): string {
  return `${component.taskserv ?? component.name}.service`;
}
