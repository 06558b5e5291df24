import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './run-cli.js';

export interface HetznerWorkspace {
  /** A copy of extensions/hetzner whose manifest also asks for the emulator's origin. */
  ext: string;
  /** $HOME, with ~/.config/hetzner/settings.json pointing api_url at the emulator. */
  home: string;
  /** The grant the extension's README documents, with the emulator's origin for the API host. */
  grant: string[];
  /** HOME and the token as the secret hetzner.token. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

/**
 * prov's hetzner provider pointed at an emulator of the Hetzner Cloud API,
 * as an operator would point it at a proxy: a copy of the extension whose
 * `[permissions] http` also names the emulator's origin (a literal loopback
 * address is refused unless granted), settings.json's `api_url`, and the
 * emulator's token as the secret. The extension itself is unchanged.
 */
export async function hetznerWorkspace(emulator: { origin: string; apiUrl: string; token: string }, settings: Record<string, unknown> = {}): Promise<HetznerWorkspace> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'prov-hetzner-'));
  const ext = path.join(root, 'hetzner');
  await cp(path.join(REPO_ROOT, 'extensions', 'hetzner'), ext, {
    recursive: true,
    filter: (source) => !['dist', 'node_modules'].includes(path.basename(source)),
  });
  // As in a workspace install: the extension's npm dependency (mustache) in a node_modules above it.
  await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  const manifestFile = path.join(ext, 'metadata.toml');
  const manifest = await readFile(manifestFile, 'utf8');
  const withEmulator = manifest.replace(/^http = \[(.*?)\]/m, (_line, hosts: string) => `http = [${hosts}, "${emulator.origin}"]`);
  if (withEmulator === manifest) throw new Error('extensions/hetzner/metadata.toml has no http = [...] line to add the emulator to');
  await writeFile(manifestFile, withEmulator);

  const home = path.join(root, 'home');
  const config = path.join(home, '.config', 'hetzner');
  await mkdir(config, { recursive: true });
  await writeFile(path.join(config, 'settings.json'), JSON.stringify({ api_url: emulator.apiUrl, ...settings }));
  return {
    ext,
    home,
    grant: ['--allow-http', emulator.origin, '--allow-secret', 'hetzner.token', '--allow-read', config],
    env: { HOME: home, PROV_SECRET_HETZNER_TOKEN: emulator.token },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
