import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The bench's task service, as registered. */
export const UNIT_TASKSERV = 'bench-units';

/** The unit a component's config `{ name }` installs: what the bench checks on the target. */
export function unitName(component: string): string {
  return `bench-${component}.service`;
}

/**
 * The task service the cluster benchmark deploys with. Each component's
 * config names a unit; install writes `/etc/systemd/system/bench-<name>.service`
 * (a `sleep infinity` service), daemon-reloads when the file changed, starts
 * it and reads it back as active; uninstall stops it, removes the file and
 * daemon-reloads. Every step is a real host call over SSH, so a deploy costs
 * what a small real one does: a sandbox, an SSH master, an upload and a few
 * systemctl calls per component.
 *
 * It is written into a temporary directory (like servers-call's extension)
 * rather than kept under bench/: `npm run typecheck` covers bench/, and this
 * source imports `prov/sdk`, which only an extension's own build resolves.
 */
const SOURCE = `import { defineTaskserv } from 'prov/sdk';

const DIR = '/etc/systemd/system';

function unitOf(input: any): string {
  const name = input?.name;
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9-]{0,40}$/.test(name)) throw new Error('config.name must be a short lowercase name, got ' + JSON.stringify(name));
  return 'bench-' + name + '.service';
}

const unitText = (name: string) => '[Unit]\\nDescription=prov bench component ' + name + '\\n\\n[Service]\\nExecStart=/bin/sleep infinity\\n';
const none = async () => null;

export default defineTaskserv({
  async install(input: any, ctx: any) {
    const server = ctx.target.name;
    const unit = unitOf(input);
    const written = await ctx.servers.upload(server, DIR + '/' + unit, unitText(input.name));
    // planned (check mode) has no 'changed': reload then too, so the plan shows it.
    if (written.changed !== false) await ctx.systemctl('daemon-reload', null, { server });
    await ctx.systemctl('start', unit, { server });
    if (ctx.check) return { unit, state: 'planned' };
    const state = await ctx.systemctl('is-active', unit, { server });
    if (state.active !== 'active') throw new Error(unit + ' is ' + state.active + ' after start');
    return { unit, state: state.active };
  },
  async uninstall(input: any, ctx: any) {
    const server = ctx.target.name;
    const unit = unitOf(input);
    const shown = await ctx.systemctl('show', unit, { server });
    const loaded = (shown.properties?.LoadState ?? 'not-found') !== 'not-found';
    if (loaded) await ctx.systemctl('stop', unit, { server });
    await ctx.servers.remove(server, DIR + '/' + unit);
    if (loaded) await ctx.systemctl('daemon-reload', null, { server });
    return { unit, state: 'removed' };
  },
  async status(input: any, ctx: any) {
    const state = await ctx.systemctl('is-active', unitOf(input), { server: ctx.target.name });
    return { service: unitOf(input), state: state.active, healthy: state.active === 'active' };
  },
  configure: none, restart: none, upgrade: none, getCurrentVersion: none, getAvailableVersions: none, checkUpdates: none,
} as any);
`;

/**
 * Writes the task service into `dir` as `prov register` accepts it (docs and
 * a CHANGELOG entry for its version), asking for `server` only, its own
 * units, and the directory systemd reads them from.
 */
export async function writeUnitTaskserv(dir: string, server: string): Promise<string> {
  await mkdir(path.join(dir, 'src'), { recursive: true });
  await writeFile(path.join(dir, 'metadata.toml'), `[extension]
name = "${UNIT_TASKSERV}"
type = "taskserv"
version = "1.0.0"
description = "Installs one sleep-infinity systemd unit per component (prov's cluster benchmark)"

[compatibility]
prov = ">=0.1.0 <1.0.0"
api = 1

[permissions]
servers = ["${server}"]
systemctl = ["bench-*.service"]          # and daemon-reload, which any systemctl grant allows
remote_write = ["/etc/systemd/system"]   # where systemd reads units; a throwaway target's
`);
  for (const doc of ['README.md', 'API.md', 'EXAMPLES.md']) await writeFile(path.join(dir, doc), `# ${UNIT_TASKSERV}\n\nprov's cluster benchmark task service.\n`);
  await writeFile(path.join(dir, 'CHANGELOG.md'), '# Changelog\n\n## 1.0.0\n\n- This version.\n');
  await writeFile(path.join(dir, 'src', 'index.ts'), SOURCE);
  return dir;
}
