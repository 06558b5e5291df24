/**
 * The keys of `[permissions]` in metadata.toml (PRODUCT.md §1). The same
 * keys name an operator's grants in the policy file and `--allow-…` flags.
 */
export const PERMISSION_KEYS = [
  'http',
  'fs_read',
  'fs_write',
  'secrets',
  'secrets_read',
  'systemctl',
  'servers',
  'exec',
  'remote_read',
  'remote_write',
] as const;

export type PermissionKey = (typeof PERMISSION_KEYS)[number];

/** Grant entries per key, each in its canonical spelling. A missing key grants nothing. */
export type PermissionSet = Partial<Record<PermissionKey, string[]>>;

export function isPermissionKey(key: string): key is PermissionKey {
  return (PERMISSION_KEYS as readonly string[]).includes(key);
}
