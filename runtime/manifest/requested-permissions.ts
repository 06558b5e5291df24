import { permissionKinds } from '../../host-api/capabilities/index.js';
import type { PermissionSet } from '../../host-api/grants/permission-keys.js';
import { normalizeSet } from '../../host-api/policy/resolve-grant.js';
import { ProvError } from '../errors/index.js';
import { locateTomlKey } from './locate-toml-key.js';
import type { LoadedManifest } from './read-manifest.js';

/** The manifest's `[permissions]`, each entry checked by its capability and in canonical spelling. */
export function requestedPermissions(loaded: LoadedManifest, home: string): PermissionSet {
  return normalizeSet(loaded.manifest.permissions ?? {}, permissionKinds, home, (key, index, message) => {
    const line = locateTomlKey(loaded.source, ['permissions', key, index])?.line ?? locateTomlKey(loaded.source, ['permissions', key])?.line;
    return new ProvError('ManifestInvalid', `${loaded.file}${line === undefined ? '' : `:${line}`}: permissions.${key}[${index}]: ${message}`, {
      hint: 'See [permissions] in PRODUCT.md §1: http = ["host", "host:port", "http://host", "*.suffix"], fs_read/fs_write = absolute paths or ~/…, secrets = names.',
      details: { file: loaded.file, field: `permissions.${key}.${index}` },
    });
  });
}
