import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROV_BIN, runProv } from '../helpers/run-cli.js';

/** A Node older than 24 on this machine (the system Node), if there is one. */
function olderNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    try {
      const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
      if (Number(version.slice(1).split('.')[0]) < 24) return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}

describe('the prov bin', () => {
  const old = olderNode();

  it.runIf(old !== undefined)('says in one line that it needs Node 24 when started on an older Node', () => {
    const run = spawnSync(old!, [PROV_BIN, '--help'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^prov needs Node\.js 24 or newer, but this is Node\.js v\d+\.\d+\.\d+: run it as "npx prov"/);
  });

  it('starts itself again with --no-node-snapshot when run without it', () => {
    const run = spawnSync(process.execPath, [PROV_BIN, '--version'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('prints help listing its commands', async () => {
    const run = await runProv(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('build [options] [dir]');
    for (const command of ['new [options] [kind] [name]', 'run [options] <extension> <operation>', 'validate [options] [dir]', 'register [options] <dir>', 'unregister [options] <name>', 'list [options]', 'info [options] <name>', 'dev [options] [dir]']) {
      expect(run.stdout).toContain(command);
    }
  });
});
