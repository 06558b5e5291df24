import type { ComponentSpec } from 'prov/sdk';

/** What a site may change in the cluster (src/settings.ts). */
export interface SiteSettings {
  /** The registry's port on the server (default 5000). It listens on 127.0.0.1: containerd on the same server pulls through it. */
  registryPort?: number;
  /**
   * Release download bases replacing GitHub's (each task service's `mirror`
   * input), for servers that reach an internal mirror rather than github.com.
   */
  releaseMirrors?: { containerd?: string; registry?: string };
  /** Where the registry stores images (default /var/lib/registry). */
  registryStorage?: string;
}

/** The task services' version range: the 0.1 line of extensions/containerd and extensions/registry. */
const TASKSERV_RANGE = '^0.1.0';
const DEFAULT_REGISTRY_PORT = 5000;

/**
 * The components, as data: prov orders them by `dependencies`, deploys each
 * through its registered task service with `config` as the install's input,
 * rolls back what it deployed when one fails and deletes in reverse order.
 *
 * The seed's buildkit cluster is containerd, BuildKit on top of it and a
 * registry for the images it builds. BuildKit is not here yet: no buildkitd
 * ships in Debian, the only source of real binaries for prov's tests, and a
 * component that only pretends would prove nothing. What is here: the
 * registry first, then containerd with the registry as its pull mirror for
 * docker.io — two waves, since containerd's config names the registry.
 */
export function buildkitComponents(settings: SiteSettings = {}): ComponentSpec[] {
  const port = settings.registryPort ?? DEFAULT_REGISTRY_PORT;
  const mirror = (project: 'containerd' | 'registry') => {
    const base = settings.releaseMirrors?.[project];
    return base === undefined ? {} : { mirror: base };
  };
  return [
    {
      name: 'registry',
      taskserv: 'registry',
      type: 'taskserv',
      version: TASKSERV_RANGE,
      dependencies: [],
      config: { ...mirror('registry'), address: '127.0.0.1', port, storage_path: settings.registryStorage ?? '/var/lib/registry' },
    },
    {
      name: 'containerd',
      taskserv: 'containerd',
      type: 'taskserv',
      version: TASKSERV_RANGE,
      dependencies: ['registry'],
      config: { ...mirror('containerd'), registry_mirrors: { 'docker.io': [`http://127.0.0.1:${port}`] } },
    },
  ];
}

/** The systemd unit a component's task service runs (the status hook reads it). */
export function unitOf(component: ComponentSpec): string {
  return `${component.taskserv ?? component.name}.service`;
}
