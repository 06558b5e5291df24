import type { Arch } from './catalog.js';

/** The settings that go into config.toml, as install, configure and upgrade take them. */
export interface Settings {
  /** Registry host → mirror endpoints (`docker.io` → [`http://127.0.0.1:5000`]). */
  registry_mirrors: Record<string, string[]>;
}

/**
 * What this task service installed on a server, written after the binaries
 * are in place. It is what a repeated install compares with instead of
 * running anything (a program run counts as a change), and what uninstall
 * removes. No receipt: nothing installed, or an install cut off before its
 * binaries were whole — the next install downloads again.
 */
export interface Receipt {
  version: string;
  arch: Arch;
  mirror: string;
  url: string;
  /** The tarball's sha256, as checked; null only in a check-mode plan. */
  sha256: string | null;
  /** Binary names unpacked into /usr/local/bin. */
  binaries: string[];
  settings: Settings;
}

export function renderReceipt(receipt: Receipt): string {
  return `${JSON.stringify(receipt, null, 2)}\n`;
}

/** The receipt in a file's text, or null when the text is not one (hand-edited, another tool's). */
export function parseReceipt(text: string): Receipt | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const receipt = value as Partial<Receipt> | null;
  if (receipt === null || typeof receipt !== 'object') return null;
  if (typeof receipt.version !== 'string' || typeof receipt.mirror !== 'string' || !Array.isArray(receipt.binaries)) return null;
  if (receipt.arch !== 'amd64' && receipt.arch !== 'arm64') return null;
  const mirrors = receipt.settings?.registry_mirrors;
  return {
    version: receipt.version,
    arch: receipt.arch,
    mirror: receipt.mirror,
    url: typeof receipt.url === 'string' ? receipt.url : '',
    sha256: typeof receipt.sha256 === 'string' ? receipt.sha256 : null,
    binaries: receipt.binaries.filter((binary): binary is string => typeof binary === 'string'),
    settings: { registry_mirrors: mirrors !== null && typeof mirrors === 'object' ? mirrors : {} },
  };
}
