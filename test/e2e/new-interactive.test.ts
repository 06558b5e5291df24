import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROV_BIN, REPO_ROOT } from '../helpers/run-cli.js';

const work = await mkdtemp(path.join(os.tmpdir(), 'prov-new-tty-'));
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * `prov new` on a terminal asks for what its arguments leave out. A real
 * pseudo-terminal (util-linux `script`), real keystrokes: the arrow key to
 * pick the kind, a typed name, Enter to take the suggested description.
 */
describe('prov new on a terminal', { timeout: 60_000 }, () => {
  it('asks the kind, the name and the description, and makes the extension', async () => {
    const dir = path.join(work, 'web-app');
    const command = [process.execPath, '--no-node-snapshot', PROV_BIN, 'new', '--dir', dir].map((part) => `'${part}'`).join(' ');
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: REPO_ROOT, env: { ...process.env, PROV_HOME: path.join(work, 'home'), TERM: 'xterm' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const waiters: { text: string; resolve: () => void }[] = [];
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const waiter of [...waiters]) if (output.includes(waiter.text)) waiters.splice(waiters.indexOf(waiter), 1) && waiter.resolve();
    });
    const seen = (text: string) => new Promise<void>((resolve) => (output.includes(text) ? resolve() : waiters.push({ text, resolve })));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));

    await seen('What kind of extension?');
    child.stdin.write('\x1b[B'); // ↓: provider → taskserv
    await new Promise((resolve) => setTimeout(resolve, 200));
    child.stdin.write('\r');
    await seen('Its name:');
    child.stdin.write('web-app\r');
    await seen('One line to describe it:');
    child.stdin.write('\r');
    expect(await exited, output).toBe(0);
    expect(output).toContain(`created taskserv web-app in ${dir}`);
    const manifest = await readFile(path.join(dir, 'metadata.toml'), 'utf8');
    expect(manifest).toContain('name = "web-app"');
    expect(manifest).toContain('type = "taskserv"');
    expect(manifest).toMatch(/description = ".+"/);
  });
});
