/**
 * Adversarial end-to-end tests of `ctx.fs` (PRODUCT.md §3, §3.1) against real
 * temp dirs with real symbolic links, hard links and FIFOs: nothing leads out
 * of a granted root, special files are refused without hanging, writes are
 * atomic and `changed` is derived by the host, and `--check` leaves no trace
 * while its plan lists every mutating call. Each denied row is also proved
 * by the files outside the root: same listing, same bytes, same mtime.
 *
 * One `prov run` covers a whole table: the operation takes the calls as its
 * input, catches each call's error and returns one outcome per row.
 */
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { chmod, link, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProv, type CliResult } from '../helpers/run-cli.js';
import { outcomesById, tomlList } from '../helpers/attempt-table.js';
import { createTempExtension, providerSource, type TempExtension } from '../helpers/temp-extension.js';

// ---------------------------------------------------------------- the extension

/**
 * `listServers` performs every call of its input (`{id, call: 'fs.readFile', args}`)
 * and returns one outcome each; `getZones` performs one call uncaught.
 */
const SOURCE = providerSource({
  listServers: `async listServers(input: any, ctx: any) {
    const out: any[] = [];
    for (const attempt of input.attempts) {
      const started = Date.now();
      try {
        const [capability, name] = attempt.call.split('.');
        const args = [...attempt.args];
        // a large argument is built here rather than shipped through --input
        if (attempt.repeat !== undefined) args[attempt.repeat.index] = attempt.repeat.text.repeat(attempt.repeat.count);
        const value = await ctx[capability][name](...args);
        const shown = value !== null && typeof value === 'object' && 'status' in value
          ? { status: value.status, planned: value.planned === true, url: value.url }
          : value;
        out.push({ id: attempt.id, ok: true, value: shown, ms: Date.now() - started });
      } catch (error: any) {
        out.push({ id: attempt.id, ok: false, code: error?.code ?? null, message: String(error?.message ?? error),
          hint: error?.hint ?? null, reason: error?.reason ?? null, ms: Date.now() - started });
      }
    }
    return out;
  }`,
  getZones: `async getZones(input: any, ctx: any) {
    const [capability, name] = input.call.split('.');
    return await ctx[capability][name](...input.args);
  }`,
});

interface Attempt {
  id: string;
  call: string;
  args: unknown[];
  /** Replace args[index] with text repeated count times, inside the guest. */
  repeat?: { index: number; text: string; count: number };
}

interface Outcome {
  id: string;
  ok: boolean;
  value?: unknown;
  code?: string | null;
  message?: string;
  hint?: string | null;
  reason?: string | null;
  ms: number;
}

const byId = (result: CliResult) => outcomesById<Outcome>(result);

function notAsked(noun: 'read' | 'write', value: string): string {
  return `Requires ${noun} access to "${value}"; metadata.toml does not ask for it`;
}

function escapeRegExp(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

interface Entry {
  type: 'file' | 'dir' | 'link' | 'other';
  size: number;
  mtimeMs: number;
  ino: number;
  mode: number;
  content?: string;
  target?: string;
}

/** Every entry under `dir` (not following links): type, bytes, mtime, inode. */
async function snapshot(dir: string): Promise<Record<string, Entry>> {
  const out: Record<string, Entry> = {};
  async function walk(current: string): Promise<void> {
    for (const name of (await readdir(current)).sort()) {
      const full = path.join(current, name);
      const info = await lstat(full);
      const key = path.relative(dir, full);
      const base = { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, mode: info.mode & 0o7777 };
      if (info.isSymbolicLink()) out[key] = { type: 'link', ...base, target: await readlink(full) };
      else if (info.isDirectory()) {
        out[key] = { type: 'dir', ...base, mtimeMs: 0 };
        await walk(full);
      } else if (info.isFile()) out[key] = { type: 'file', ...base, content: await readFile(full, 'utf8') };
      else out[key] = { type: 'other', ...base };
    }
  }
  await walk(dir);
  return out;
}

const mkfifo = (file: string) => execFileSync('mkfifo', [file]);

// ---------------------------------------------------------------- tests

describe('ctx.fs never leads out of a granted root', () => {
  let T: string;
  let ext: TempExtension;
  let run: CliResult;
  let outcomes: Map<string, Outcome>;
  let outsideBefore: Record<string, Entry>;
  let root2Before: Record<string, Entry>;
  let roBefore: Record<string, Entry>;
  let elapsed: number;
  let haveDevice = false;
  let socketServer: NetServer | undefined;

  type Expect =
    | { kind: 'exact'; message: string; hint?: RegExp }
    | { kind: 'denied'; message: RegExp }
    | { kind: 'error'; codes: string[] }
    | { kind: 'ok'; value?: unknown }
    | { kind: 'any' };
  interface Row extends Attempt {
    why: string;
    expect: Expect;
  }
  let rows: Row[] = [];

  const IDS = [
    'read-ok', 'read-inner-link', 'read-dir-ok', 'read-missing', 'dotdot', 'dotdot-deep', 'absolute', 'home-dotdot', 'prefix-root2',
    'link-file-read', 'link-file-stat', 'link-file-exists', 'link-dir-readdir', 'link-dir-child', 'parent-link-read',
    'hard-read', 'fifo-read', 'fifo-write', 'device-read', 'device-write', 'socket-read', 'fifo-stat', 'nul-read', 'nul-write', 'relative', 'not-string-number', 'not-string-null',
    'not-string-object', 'not-string-array', 'empty-path', 'loop', 'read-unknown-option', 'write-unknown-option', 'only-read-granted',
    'only-write-granted', 'asked-not-granted', 'write-link-file', 'write-dangling', 'write-parent-link', 'write-dotdot',
    'write-prefix-root2', 'mkdir-link-dir', 'mkdir-dangling-dir', 'mkdir-dotdot', 'remove-through-link-dir', 'remove-dotdot-outside',
    'remove-root', 'remove-root-dot', 'remove-root-slash', 'remove-root-dotdot', 'mkdir-dangling-deep', 'long-path',
    'exists-dangling', 'remove-tree-with-links', 'read-bad-encoding',
    'write-setuid-mode', 'write-string-mode', 'read-big', 'write-big', 'write-hard', 'remove-link-dir-slash', 'remove-link-dir',
  ];

  beforeAll(async () => {
    T = await mkdtemp(path.join(os.tmpdir(), 'prov-fs-bypass-'));
    const root = path.join(T, 'root');
    const outside = path.join(T, 'outside');
    await mkdir(path.join(root, 'a'), { recursive: true });
    await mkdir(path.join(outside, 'dir'), { recursive: true });
    await writeFile(path.join(outside, 'secret.txt'), 'TOP-SECRET-OUTSIDE\n');
    await writeFile(path.join(outside, 'dir', 'inner.txt'), 'inner\n');
    await writeFile(path.join(root, 'data.txt'), 'inside\n');
    await symlink(path.join(root, 'data.txt'), path.join(root, 'inner-link'));
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'link-file'));
    await symlink(outside, path.join(root, 'link-dir'));
    await symlink('../../outside', path.join(root, 'a', 'b')); // a symlinked parent directory, relative
    await symlink(path.join(outside, 'created-by-ext.txt'), path.join(root, 'dangling'));
    await symlink(path.join(outside, 'newdir'), path.join(root, 'dangling-dir'));
    await link(path.join(outside, 'secret.txt'), path.join(root, 'hard'));
    mkfifo(path.join(root, 'fifo'));
    // a character device (a copy of /dev/zero) and a unix socket inside the root, where the kernel lets us make them
    try {
      execFileSync('mknod', [path.join(root, 'zero-dev'), 'c', '1', '5'], { stdio: 'ignore' });
      haveDevice = true;
    } catch {
      haveDevice = false;
    }
    socketServer = createNetServer();
    await new Promise<void>((resolve) => socketServer!.listen(path.join(root, 'sock'), () => resolve()));
    await symlink(path.join(root, 'loop2'), path.join(root, 'loop1'));
    await symlink(path.join(root, 'loop1'), path.join(root, 'loop2'));
    await mkdir(path.join(root, 'tree', 'sub'), { recursive: true });
    await writeFile(path.join(root, 'tree', 'sub', 'f.txt'), 'f\n');
    await symlink(outside, path.join(root, 'tree', 'sub', 'out-link'));
    await symlink(path.join(outside, 'secret.txt'), path.join(root, 'tree', 'out-file-link'));
    await writeFile(path.join(root, 'big.bin'), '');
    await truncate(path.join(root, 'big.bin'), 9 * 1024 * 1024);
    await mkdir(path.join(T, 'root2'));
    await writeFile(path.join(T, 'root2', 'file.txt'), 'root2\n');
    await mkdir(path.join(T, 'ro'));
    await writeFile(path.join(T, 'ro', 'ro.txt'), 'ro\n');
    await mkdir(path.join(T, 'wo'));
    await writeFile(path.join(T, 'wo', 'wo.txt'), 'wo\n');
    await mkdir(path.join(T, 'asked'));
    await writeFile(path.join(T, 'asked', 'a.txt'), 'asked\n');
    // mtimes in the past, so a rewrite within the same millisecond still shows
    const past = new Date(Date.now() - 3_600_000);
    for (const file of ['outside/secret.txt', 'outside/dir/inner.txt', 'root2/file.txt', 'ro/ro.txt']) {
      await utimes(path.join(T, file), past, past);
    }
    outsideBefore = await snapshot(outside);
    root2Before = await snapshot(path.join(T, 'root2'));
    roBefore = await snapshot(path.join(T, 'ro'));

    const r = (p: string) => path.join(root, p);
    const home = os.homedir();
    const depth = home.split('/').length + 2;
    rows = [
      // positive controls
      { id: 'read-ok', why: 'a plain file in the root', call: 'fs.readFile', args: [r('data.txt')], expect: { kind: 'ok', value: 'inside\n' } },
      { id: 'read-inner-link', why: 'a link that stays inside the root', call: 'fs.readFile', args: [r('inner-link')], expect: { kind: 'ok', value: 'inside\n' } },
      { id: 'read-dir-ok', why: 'readDir of the root', call: 'fs.readDir', args: [root], expect: { kind: 'ok' } },
      { id: 'read-missing', why: 'a missing file is HostCallFailed ENOENT', call: 'fs.readFile', args: [r('missing.txt')], expect: { kind: 'error', codes: ['HostCallFailed'] } },
      // lexical escapes
      { id: 'dotdot', why: '.. out of the root', call: 'fs.readFile', args: [r('../outside/secret.txt')], expect: { kind: 'exact', message: notAsked('read', path.join(outside, 'secret.txt')) } },
      { id: 'dotdot-deep', why: 'many .. up to /etc', call: 'fs.readFile', args: [r(`a/${'../'.repeat(20)}etc/passwd`)], expect: { kind: 'exact', message: notAsked('read', '/etc/passwd') } },
      { id: 'absolute', why: 'an absolute path elsewhere', call: 'fs.readFile', args: ['/etc/passwd'], expect: { kind: 'exact', message: notAsked('read', '/etc/passwd') } },
      { id: 'home-dotdot', why: '~/ then .. up to /etc', call: 'fs.readFile', args: [`~/${'../'.repeat(depth)}etc/passwd`], expect: { kind: 'exact', message: notAsked('read', '/etc/passwd') } },
      { id: 'prefix-root2', why: '/…/root2 is not under /…/root', call: 'fs.readFile', args: [path.join(T, 'root2', 'file.txt')], expect: { kind: 'exact', message: notAsked('read', path.join(T, 'root2', 'file.txt')) } },
      // symbolic links out
      { id: 'link-file-read', why: 'a link in the root to a file outside', call: 'fs.readFile', args: [r('link-file')], expect: { kind: 'denied', message: /^Requires read access to "/ } },
      { id: 'link-file-stat', why: 'stat through the link', call: 'fs.stat', args: [r('link-file')], expect: { kind: 'denied', message: /^Requires read access to "/ } },
      { id: 'link-file-exists', why: 'exists through the link', call: 'fs.exists', args: [r('link-file')], expect: { kind: 'denied', message: /^Requires read access to "/ } },
      { id: 'link-dir-readdir', why: 'a link in the root to a directory outside', call: 'fs.readDir', args: [r('link-dir')], expect: { kind: 'denied', message: /^Requires read access to "/ } },
      { id: 'link-dir-child', why: 'a file below a linked directory', call: 'fs.readFile', args: [r('link-dir/secret.txt')], expect: { kind: 'denied', message: /^Requires read access to "/ } },
      { id: 'parent-link-read', why: 'a relative symlinked parent directory', call: 'fs.readFile', args: [r('a/b/secret.txt')], expect: { kind: 'denied', message: /^Requires read access to "/ } },
      // special files
      { id: 'hard-read', why: 'a hard link to a file outside', call: 'fs.readFile', args: [r('hard')], expect: { kind: 'denied', message: /hard link/ } },
      { id: 'fifo-read', why: 'a FIFO (must not block)', call: 'fs.readFile', args: [r('fifo')], expect: { kind: 'denied', message: /fifo|FIFO|not a regular file|other/ } },
      { id: 'fifo-write', why: 'writing a FIFO (must not block)', call: 'fs.writeFile', args: [r('fifo'), 'x'], expect: { kind: 'denied', message: /fifo|FIFO|not a regular file|other/ } },
      { id: 'device-read', why: 'a character device inside the root (must not stream forever)', call: 'fs.readFile', args: [r('zero-dev')], expect: haveDevice ? { kind: 'denied', message: /device|not a regular file|other/ } : { kind: 'any' } },
      { id: 'device-write', why: 'writing a character device inside the root', call: 'fs.writeFile', args: [r('zero-dev'), 'x'], expect: haveDevice ? { kind: 'denied', message: /device|not a regular file|other/ } : { kind: 'any' } },
      { id: 'socket-read', why: 'a unix socket inside the root', call: 'fs.readFile', args: [r('sock')], expect: { kind: 'denied', message: /socket|not a regular file|other/ } },
      { id: 'fifo-stat', why: 'stat of a FIFO only describes it', call: 'fs.stat', args: [r('fifo')], expect: { kind: 'any' } },
      // malformed arguments
      { id: 'nul-read', why: 'NUL in a path', call: 'fs.readFile', args: [`${r('data.txt')}\0.png`], expect: { kind: 'denied', message: /NUL/ } },
      { id: 'nul-write', why: 'NUL in a path to write', call: 'fs.writeFile', args: [`${r('x')}\0/../../outside/secret.txt`, 'pwned'], expect: { kind: 'denied', message: /NUL/ } },
      { id: 'relative', why: 'a relative path', call: 'fs.readFile', args: ['data.txt'], expect: { kind: 'denied', message: /absolute/ } },
      { id: 'not-string-number', why: 'a number for a path', call: 'fs.readFile', args: [42], expect: { kind: 'denied', message: /string/ } },
      { id: 'not-string-null', why: 'null for a path', call: 'fs.readFile', args: [null], expect: { kind: 'denied', message: /string/ } },
      { id: 'not-string-object', why: 'an object for a path', call: 'fs.readFile', args: [{ path: r('data.txt') }], expect: { kind: 'denied', message: /string/ } },
      { id: 'not-string-array', why: 'an array for a path', call: 'fs.readFile', args: [[r('data.txt')]], expect: { kind: 'denied', message: /string/ } },
      { id: 'empty-path', why: 'an empty path', call: 'fs.readFile', args: [''], expect: { kind: 'denied', message: /./ } },
      { id: 'loop', why: 'a symlink loop inside the root', call: 'fs.readFile', args: [r('loop1')], expect: { kind: 'error', codes: ['HostCallFailed', 'PermissionDenied'] } },
      { id: 'read-unknown-option', why: 'readFile with a flag option', call: 'fs.readFile', args: [r('data.txt'), { flag: 'a+' }], expect: { kind: 'denied', message: /flag/ } },
      { id: 'write-unknown-option', why: 'writeFile with a flag option', call: 'fs.writeFile', args: [r('data.txt'), 'x', { flag: 'a' }], expect: { kind: 'denied', message: /flag/ } },
      // read and write are granted separately
      { id: 'only-read-granted', why: 'write where only read is granted', call: 'fs.writeFile', args: [path.join(T, 'ro', 'new.txt'), 'x'], expect: { kind: 'exact', message: notAsked('write', path.join(T, 'ro', 'new.txt')) } },
      { id: 'only-write-granted', why: 'read where only write is granted', call: 'fs.readFile', args: [path.join(T, 'wo', 'wo.txt')], expect: { kind: 'exact', message: notAsked('read', path.join(T, 'wo', 'wo.txt')) } },
      {
        id: 'asked-not-granted',
        why: 'in the manifest, not granted by the operator',
        call: 'fs.readFile',
        args: [path.join(T, 'asked', 'a.txt')],
        expect: {
          kind: 'exact',
          message: `Requires read access to "${path.join(T, 'asked', 'a.txt')}", which metadata.toml asks for but the operator has not granted`,
          hint: escapeRegExp(`--allow-read ${path.join(T, 'asked')}`),
        },
      },
      // writes out of the root
      { id: 'write-link-file', why: 'write through a link to a file outside', call: 'fs.writeFile', args: [r('link-file'), 'pwned'], expect: { kind: 'denied', message: /^Requires write access to "/ } },
      { id: 'write-dangling', why: 'write through a dangling link pointing out', call: 'fs.writeFile', args: [r('dangling'), 'pwned'], expect: { kind: 'denied', message: /^Requires write access to "/ } },
      { id: 'write-parent-link', why: 'write below a symlinked parent', call: 'fs.writeFile', args: [r('a/b/new.txt'), 'pwned'], expect: { kind: 'denied', message: /^Requires write access to "/ } },
      { id: 'write-dotdot', why: 'write with ..', call: 'fs.writeFile', args: [r('../outside/secret.txt'), 'pwned'], expect: { kind: 'exact', message: notAsked('write', path.join(outside, 'secret.txt')) } },
      { id: 'write-prefix-root2', why: 'write to the look-alike root2', call: 'fs.writeFile', args: [path.join(T, 'root2', 'file.txt'), 'pwned'], expect: { kind: 'exact', message: notAsked('write', path.join(T, 'root2', 'file.txt')) } },
      { id: 'mkdir-link-dir', why: 'mkdir below a linked directory', call: 'fs.mkdir', args: [r('link-dir/newdir')], expect: { kind: 'denied', message: /^Requires write access to "/ } },
      { id: 'mkdir-dangling-dir', why: 'mkdir through a dangling link pointing out', call: 'fs.mkdir', args: [r('dangling-dir'), { recursive: true }], expect: { kind: 'denied', message: /^Requires write access to "/ } },
      { id: 'mkdir-dotdot', why: 'mkdir with ..', call: 'fs.mkdir', args: [r('../outside/dir2'), { recursive: true }], expect: { kind: 'exact', message: notAsked('write', path.join(outside, 'dir2')) } },
      { id: 'remove-through-link-dir', why: 'remove a file below a linked directory', call: 'fs.remove', args: [r('link-dir/secret.txt')], expect: { kind: 'denied', message: /^Requires write access to "/ } },
      { id: 'remove-dotdot-outside', why: 'remove with ..', call: 'fs.remove', args: [r('../outside'), { recursive: true }], expect: { kind: 'exact', message: notAsked('write', outside) } },
      { id: 'remove-root', why: 'remove the root itself', call: 'fs.remove', args: [root, { recursive: true }], expect: { kind: 'denied', message: /granted root|root itself|the root/i } },
      { id: 'remove-root-dot', why: 'remove root/.', call: 'fs.remove', args: [`${root}/.`, { recursive: true }], expect: { kind: 'denied', message: /granted root|root itself|the root/i } },
      { id: 'remove-root-slash', why: 'remove root/', call: 'fs.remove', args: [`${root}/`, { recursive: true }], expect: { kind: 'denied', message: /granted root|root itself|the root/i } },
      { id: 'remove-root-dotdot', why: 'remove root/a/..', call: 'fs.remove', args: [`${root}/a/..`, { recursive: true }], expect: { kind: 'denied', message: /granted root|root itself|the root/i } },
      { id: 'mkdir-dangling-deep', why: 'recursive mkdir below a dangling link pointing out', call: 'fs.mkdir', args: [r('dangling-dir/sub/deeper'), { recursive: true }], expect: { kind: 'denied', message: /^Requires write access to "/ } },
      { id: 'long-path', why: 'a path longer than PATH_MAX', call: 'fs.readFile', args: [r(`${'a/'.repeat(2100)}x`)], expect: { kind: 'denied', message: /./ } },
      { id: 'exists-dangling', why: 'exists() of a dangling link pointing out', call: 'fs.exists', args: [r('dangling')], expect: { kind: 'denied', message: /^Requires read access to "/ } },
      { id: 'remove-tree-with-links', why: 'removing a tree that holds links out removes the links, not their targets', call: 'fs.remove', args: [r('tree'), { recursive: true }], expect: { kind: 'ok', value: { planned: false } } },
      { id: 'read-bad-encoding', why: 'an encoding other than utf8/base64', call: 'fs.readFile', args: [r('data.txt'), { encoding: 'hex' }], expect: { kind: 'denied', message: /encoding/ } },
      { id: 'write-setuid-mode', why: 'setuid bits in mode', call: 'fs.writeFile', args: [r('suid.sh'), '#!/bin/sh\n', { mode: 0o4755 }], expect: { kind: 'denied', message: /mode/ } },
      { id: 'write-string-mode', why: 'a string for mode', call: 'fs.writeFile', args: [r('suid.sh'), 'x', { mode: '777' }], expect: { kind: 'denied', message: /mode/ } },
      { id: 'read-big', why: 'a file over the size cap', call: 'fs.readFile', args: [r('big.bin')], expect: { kind: 'error', codes: ['LimitExceeded'] } },
      { id: 'write-big', why: '9 MB of UTF-8 (4.5 M characters) over the size cap', call: 'fs.writeFile', args: [r('big.txt'), ''], repeat: { index: 1, text: 'é', count: 4_500_000 }, expect: { kind: 'error', codes: ['LimitExceeded'] } },
      // last: these may legitimately succeed, but never touch what is outside
      { id: 'write-hard', why: 'write over a hard link (replaces the name, not the outside file)', call: 'fs.writeFile', args: [r('hard'), 'pwned'], expect: { kind: 'any' } },
      { id: 'remove-link-dir-slash', why: 'remove link-dir/ (trailing slash) removes the link at most', call: 'fs.remove', args: [`${r('link-dir')}/`, { recursive: true }], expect: { kind: 'any' } },
      { id: 'remove-link-dir', why: 'remove a link to a directory removes the link only', call: 'fs.remove', args: [r('link-dir'), { recursive: true }], expect: { kind: 'any' } },
    ];

    ext = await createTempExtension({
      manifestExtra: `[permissions]\nfs_read = ${tomlList([root, path.join(T, 'ro'), path.join(T, 'asked')])}\nfs_write = ${tomlList([root, path.join(T, 'wo')])}\n[limits]\ntimeout_ms = 20000\n`,
      source: SOURCE,
    });
    const started = Date.now();
    run = await runProv(
      [
        'run', ext.dir, 'list-servers', '--json', '--no-prompt',
        '--input', JSON.stringify({ attempts: rows.map(({ id, call, args, repeat }) => ({ id, call, args, repeat })) }),
        '--allow-read', root, '--allow-read', path.join(T, 'ro'),
        '--allow-write', root, '--allow-write', path.join(T, 'wo'),
        // wider than the manifest: the look-alike root2, the outside dir, write on ro: widens nothing
        '--allow-read', path.join(T, 'root2'), '--allow-read', outside, '--allow-write', path.join(T, 'ro'), '--allow-write', path.join(T, 'root2'),
      ],
      { timeoutMs: 30_000 },
    );
    elapsed = Date.now() - started;
    outcomes = byId(run);
  }, 40_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => (socketServer ? socketServer.close(() => resolve()) : resolve()));
    await ext?.cleanup();
    if (T) await rm(T, { recursive: true, force: true });
  });

  it('the run finishes quickly (no FIFO blocked it), exit 0', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(elapsed).toBeLessThan(15_000);
    expect(rows.map((row) => row.id)).toEqual(IDS);
  });

  it('nothing outside the root changed: same entries, bytes, mtimes, inodes', async () => {
    expect(await snapshot(path.join(T, 'outside'))).toEqual(outsideBefore);
    expect(await snapshot(path.join(T, 'root2'))).toEqual(root2Before);
    expect(await snapshot(path.join(T, 'ro'))).toEqual(roBefore);
    expect(await readFile(path.join(T, 'outside', 'secret.txt'), 'utf8')).toBe('TOP-SECRET-OUTSIDE\n');
  });

  it('the root itself is still there; refused writes left nothing behind', async () => {
    expect((await stat(path.join(T, 'root'))).isDirectory()).toBe(true);
    expect(await readFile(path.join(T, 'root', 'data.txt'), 'utf8')).toBe('inside\n');
    const left = await readdir(path.join(T, 'root'));
    expect(left).not.toContain('big.txt');
    expect(left).not.toContain('tree');
    expect(left).not.toContain('suid.sh');
    expect(left.filter((name) => name.includes('prov-tmp'))).toEqual([]);
  });

  it('no outcome carries the outside file\'s content', () => {
    expect(run.stdout).not.toContain('TOP-SECRET-OUTSIDE');
    expect(run.stderr).not.toContain('TOP-SECRET-OUTSIDE');
  });

  it.each(IDS)('%s', (id) => {
    const row = rows.find((candidate) => candidate.id === id)!;
    const outcome = outcomes.get(id)!;
    expect(outcome, `row ${id} missing`).toBeDefined();
    const shown = `${row.why}: ${JSON.stringify(outcome)}`;
    switch (row.expect.kind) {
      case 'exact':
        expect(outcome.ok, shown).toBe(false);
        expect(outcome.code, shown).toBe('PermissionDenied');
        expect(outcome.message, shown).toBe(row.expect.message);
        expect(outcome.hint, shown).toMatch(row.expect.hint ?? /\[permissions\]|--allow-/);
        break;
      case 'denied':
        expect(outcome.ok, shown).toBe(false);
        expect(outcome.code, shown).toBe('PermissionDenied');
        expect(outcome.message, shown).toMatch(row.expect.message);
        break;
      case 'error':
        expect(outcome.ok, shown).toBe(false);
        expect(row.expect.codes, shown).toContain(outcome.code);
        break;
      case 'ok':
        expect(outcome.ok, shown).toBe(true);
        if ('value' in row.expect) expect(outcome.value, shown).toEqual(row.expect.value);
        break;
      case 'any':
        if (!outcome.ok) expect(['PermissionDenied', 'HostCallFailed'], shown).toContain(outcome.code);
        break;
    }
    expect(outcome.ms, shown).toBeLessThan(5000);
    if (id === 'read-missing') expect(outcome.reason, shown).toBe('ENOENT');
    if (id === 'read-dir-ok') {
      expect(outcome.value).toEqual(expect.arrayContaining([
        { name: 'data.txt', type: 'file' }, { name: 'link-file', type: 'symlink' }, { name: 'fifo', type: 'other' }, { name: 'a', type: 'directory' },
      ]));
    }
  });
});

describe('pseudo-filesystems are refused even when / is granted', () => {
  let T: string;
  let ext: TempExtension;
  let run: CliResult;
  let outcomes: Map<string, Outcome>;
  let elapsed: number;
  const ENV_CANARY = 'env-canary-7f3a9c';

  const cases: { id: string; call: string; args: (T: string) => unknown[] }[] = [
    { id: 'proc-environ', call: 'fs.readFile', args: () => ['/proc/self/environ'] },
    { id: 'proc-pid-environ', call: 'fs.readFile', args: () => ['/proc/1/environ'] },
    { id: 'proc-cmdline', call: 'fs.readFile', args: () => ['/proc/self/cmdline'] },
    { id: 'proc-mem', call: 'fs.readFile', args: () => ['/proc/self/mem'] },
    { id: 'proc-readdir', call: 'fs.readDir', args: () => ['/proc/self/fd'] },
    { id: 'proc-dotdot', call: 'fs.readFile', args: () => ['/etc/../proc/self/environ'] },
    { id: 'link-to-proc', call: 'fs.readFile', args: (T) => [path.join(T, 'env-link')] },
    { id: 'dev-zero', call: 'fs.readFile', args: () => ['/dev/zero'] },
    { id: 'dev-urandom', call: 'fs.readFile', args: () => ['/dev/urandom'] },
    { id: 'dev-stdin', call: 'fs.readFile', args: () => ['/dev/stdin'] },
    { id: 'dev-null-write', call: 'fs.writeFile', args: () => ['/dev/null', 'x'] },
    { id: 'sys', call: 'fs.readFile', args: () => ['/sys/kernel/mm/transparent_hugepage/enabled'] },
  ];

  beforeAll(async () => {
    T = await mkdtemp(path.join(os.tmpdir(), 'prov-fs-special-'));
    await symlink('/proc/self/environ', path.join(T, 'env-link'));
    ext = await createTempExtension({
      manifestExtra: `[permissions]\nfs_read = ["/"]\nfs_write = ["/"]\n[limits]\ntimeout_ms = 15000\n`,
      source: SOURCE,
    });
    const attempts = cases.map(({ id, call, args }) => ({ id, call, args: args(T) }));
    const started = Date.now();
    run = await runProv(['run', ext.dir, 'list-servers', '--json', '--input', JSON.stringify({ attempts }), '--allow-read', '/', '--allow-write', '/'], {
      env: { PROV_TEST_CANARY: ENV_CANARY, PROV_SECRET_ZZ: ENV_CANARY },
      timeoutMs: 25_000,
    });
    elapsed = Date.now() - started;
    outcomes = byId(run);
  }, 30_000);
  afterAll(async () => {
    await ext?.cleanup();
    if (T) await rm(T, { recursive: true, force: true });
  });

  it('finishes quickly and leaks no environment', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(elapsed).toBeLessThan(12_000);
    expect(run.stdout).not.toContain(ENV_CANARY);
    expect(run.stderr).not.toContain(ENV_CANARY);
  });

  it.each(cases.map((c) => c.id))('%s', (id) => {
    const outcome = outcomes.get(id)!;
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: false, code: 'PermissionDenied' });
    expect(outcome.message).toMatch(/\/proc|\/sys|\/dev|pseudo|special|not a regular file/);
    expect(outcome.ms).toBeLessThan(5000);
  });
});

describe('writes are atomic and `changed` is derived by the host', () => {
  let T: string;
  let ext: TempExtension;

  beforeAll(async () => {
    T = await mkdtemp(path.join(os.tmpdir(), 'prov-fs-changed-'));
    await writeFile(path.join(T, 'same.txt'), 'same\n');
    await writeFile(path.join(T, 'differs.txt'), 'old\n');
    await chmod(path.join(T, 'differs.txt'), 0o600);
    await mkdir(path.join(T, 'existing-dir'));
    const past = new Date(Date.now() - 3_600_000);
    for (const file of ['same.txt', 'differs.txt']) await utimes(path.join(T, file), past, past);
    ext = await createTempExtension({
      manifestExtra: `[permissions]\nfs_read = ${tomlList([T])}\nfs_write = ${tomlList([T])}\n`,
      source: SOURCE,
    });
  });
  afterAll(async () => {
    await ext?.cleanup();
    if (T) await rm(T, { recursive: true, force: true });
  });

  const grant = () => ['--allow-read', T, '--allow-write', T];

  it('identical bytes, an existing directory, a missing file to remove: changed false, file untouched', async () => {
    const before = await snapshot(T);
    const attempts: Attempt[] = [
      { id: 'same', call: 'fs.writeFile', args: [path.join(T, 'same.txt'), 'same\n'] },
      { id: 'same-base64', call: 'fs.writeFile', args: [path.join(T, 'same.txt'), Buffer.from('same\n').toString('base64'), { encoding: 'base64' }] },
      { id: 'mkdir-existing', call: 'fs.mkdir', args: [path.join(T, 'existing-dir'), { recursive: true }] },
      { id: 'remove-missing', call: 'fs.remove', args: [path.join(T, 'never-was.txt')] },
    ];
    const run = await runProv(['run', ext.dir, 'list-servers', '--json', '--input', JSON.stringify({ attempts }), ...grant()]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const outcomes = byId(run);
    for (const attempt of attempts) expect(outcomes.get(attempt.id), attempt.id).toMatchObject({ ok: true, value: { planned: false } });
    expect(run.json.changed).toBe(false);
    expect(await snapshot(T)).toEqual(before);
  });

  it('different bytes: changed true, replaced by rename (new inode), mode kept, no temp file left', async () => {
    const before = await lstat(path.join(T, 'differs.txt'));
    const attempts: Attempt[] = [
      { id: 'differs', call: 'fs.writeFile', args: [path.join(T, 'differs.txt'), 'new\n'] },
      { id: 'create', call: 'fs.writeFile', args: [path.join(T, 'created.txt'), 'created\n', { mode: 0o600 }] },
    ];
    const run = await runProv(['run', ext.dir, 'list-servers', '--json', '--input', JSON.stringify({ attempts }), ...grant()]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const outcomes = byId(run);
    expect(outcomes.get('differs')).toMatchObject({ ok: true, value: { planned: false } });
    expect(run.json.changed).toBe(true);
    const after = await lstat(path.join(T, 'differs.txt'));
    expect(await readFile(path.join(T, 'differs.txt'), 'utf8')).toBe('new\n');
    expect(after.ino).not.toBe(before.ino);
    expect(after.mode & 0o777).toBe(0o600);
    expect((await lstat(path.join(T, 'created.txt'))).mode & 0o777).toBe(0o600);
    expect((await readdir(T)).sort()).toEqual(['created.txt', 'differs.txt', 'existing-dir', 'same.txt']);
  });
});

describe('--check leaves no trace and plans every mutating call', () => {
  let T: string;
  let root: string;
  let ext: TempExtension;
  let server: Server;
  let port: number;
  const hits: { method: string; url: string }[] = [];
  let run: CliResult;
  let outcomes: Map<string, Outcome>;
  let before: Record<string, Entry>;
  let outsideBefore: Record<string, Entry>;

  beforeAll(async () => {
    server = createServer((request, response) => {
      hits.push({ method: request.method ?? '', url: request.url ?? '' });
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
    T = await mkdtemp(path.join(os.tmpdir(), 'prov-fs-check-'));
    root = path.join(T, 'root');
    await mkdir(path.join(root, 'olddir'), { recursive: true });
    await mkdir(path.join(T, 'outside'));
    await writeFile(path.join(T, 'outside', 'secret.txt'), 'TOP-SECRET-OUTSIDE\n');
    await writeFile(path.join(root, 'existing.txt'), 'line1\nline2\nline3\n');
    await writeFile(path.join(root, 'same.txt'), 'same\n');
    await writeFile(path.join(root, 'doomed.txt'), 'bye\n');
    await writeFile(path.join(root, 'olddir', 'file.txt'), 'f\n');
    await link(path.join(T, 'outside', 'secret.txt'), path.join(root, 'hard'));
    await symlink(path.join(T, 'outside', 'secret.txt'), path.join(root, 'link-out'));
    const past = new Date(Date.now() - 3_600_000);
    for (const file of ['existing.txt', 'same.txt', 'doomed.txt', 'olddir/file.txt']) await utimes(path.join(root, file), past, past);
    before = await snapshot(root);
    outsideBefore = await snapshot(path.join(T, 'outside'));

    const A = `http://127.0.0.1:${port}`;
    const attempts: Attempt[] = [
      { id: 'write-existing', call: 'fs.writeFile', args: [path.join(root, 'existing.txt'), 'line1\nLINE2\nline3\n'] },
      { id: 'write-new', call: 'fs.writeFile', args: [path.join(root, 'new.txt'), 'brand new\n'] },
      { id: 'write-same', call: 'fs.writeFile', args: [path.join(root, 'same.txt'), 'same\n'] },
      { id: 'mkdir', call: 'fs.mkdir', args: [path.join(root, 'newdir')] },
      { id: 'mkdir-deep', call: 'fs.mkdir', args: [path.join(root, 'deep', 'a', 'b'), { recursive: true }] },
      { id: 'remove-file', call: 'fs.remove', args: [path.join(root, 'doomed.txt')] },
      { id: 'remove-dir', call: 'fs.remove', args: [path.join(root, 'olddir'), { recursive: true }] },
      { id: 'post', call: 'http.fetch', args: [`${A}/post`, { method: 'POST', body: { a: 1 } }] },
      { id: 'put', call: 'http.fetch', args: [`${A}/put`, { method: 'put', body: 'x' }] },
      { id: 'delete', call: 'http.fetch', args: [`${A}/delete`, { method: 'DELETE' }] },
      { id: 'get', call: 'http.fetch', args: [`${A}/get`] },
      { id: 'read-existing', call: 'fs.readFile', args: [path.join(root, 'existing.txt')] },
      { id: 'exists-new', call: 'fs.exists', args: [path.join(root, 'new.txt')] },
      { id: 'readdir', call: 'fs.readDir', args: [root] },
      { id: 'denied-write', call: 'fs.writeFile', args: [path.join(T, 'outside', 'secret.txt'), 'pwned'] },
      { id: 'denied-link-write', call: 'fs.writeFile', args: [path.join(root, 'link-out'), 'pwned'] },
      { id: 'denied-remove-root', call: 'fs.remove', args: [root, { recursive: true }] },
      { id: 'denied-post', call: 'http.fetch', args: [`http://127.0.0.1:${port + 1 === 65536 ? 1 : port + 1}/post`, { method: 'POST' }] },
      { id: 'write-hard', call: 'fs.writeFile', args: [path.join(root, 'hard'), 'pwned'] },
    ];
    ext = await createTempExtension({
      manifestExtra: `[permissions]\nfs_read = ${tomlList([root])}\nfs_write = ${tomlList([root])}\nhttp = ${tomlList([A])}\n`,
      source: SOURCE,
    });
    run = await runProv(['run', ext.dir, 'list-servers', '--json', '--check', '--input', JSON.stringify({ attempts }),
      '--allow-read', root, '--allow-write', root, '--allow-http', A]);
    outcomes = byId(run);
  }, 40_000);
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await ext?.cleanup();
    if (T) await rm(T, { recursive: true, force: true });
  });

  it('exit 0, and nothing changed on disk: same entries, bytes, mtimes, inodes', async () => {
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await snapshot(root)).toEqual(before);
    expect(await snapshot(path.join(T, 'outside'))).toEqual(outsideBefore);
  });

  it('the server saw only the GET', () => {
    expect(hits).toEqual([{ method: 'GET', url: '/get' }]);
  });

  it.each(['write-existing', 'write-new', 'write-same', 'mkdir', 'mkdir-deep', 'remove-file', 'remove-dir'])('%s resolves {planned: true}', (id) => {
    expect(outcomes.get(id)).toMatchObject({ ok: true, value: { planned: true } });
  });

  it.each(['post', 'put', 'delete'])('%s resolves planned with status 0', (id) => {
    expect(outcomes.get(id)).toMatchObject({ ok: true, value: { planned: true, status: 0 } });
  });

  it('reads work in check mode and see the unchanged disk', () => {
    expect(outcomes.get('get')).toMatchObject({ ok: true, value: { status: 200, planned: false } });
    expect(outcomes.get('read-existing')).toMatchObject({ ok: true, value: 'line1\nline2\nline3\n' });
    expect(outcomes.get('exists-new')).toMatchObject({ ok: true, value: false });
    expect((outcomes.get('readdir')!.value as { name: string }[]).map((entry) => entry.name).sort()).toEqual(
      ['doomed.txt', 'existing.txt', 'hard', 'link-out', 'olddir', 'same.txt'],
    );
  });

  it.each(['denied-write', 'denied-link-write', 'denied-remove-root', 'denied-post'])('%s is still a denial', (id) => {
    expect(outcomes.get(id)).toMatchObject({ ok: false, code: 'PermissionDenied' });
  });

  it('the plan lists every mutating call, and only those', () => {
    const plan = run.json.plan as { capability: string; call: string; target: string; summary: string; changes: boolean; diff?: string }[];
    const find = (call: string, target: RegExp) => plan.filter((entry) => entry.call === call && target.test(entry.target));
    expect(find('fs.writeFile', escapeRegExp(path.join(root, 'existing.txt')))).toHaveLength(1);
    expect(find('fs.writeFile', escapeRegExp(path.join(root, 'new.txt')))).toHaveLength(1);
    expect(find('fs.writeFile', escapeRegExp(path.join(root, 'same.txt')))).toHaveLength(1);
    expect(find('fs.mkdir', escapeRegExp(path.join(root, 'newdir')))).toHaveLength(1);
    expect(find('fs.mkdir', escapeRegExp(path.join(root, 'deep', 'a', 'b')))).toHaveLength(1);
    expect(find('fs.remove', escapeRegExp(path.join(root, 'doomed.txt')))).toHaveLength(1);
    expect(find('fs.remove', escapeRegExp(path.join(root, 'olddir')))).toHaveLength(1);
    expect(find('http.fetch', /^POST .*\/post$/)).toHaveLength(1);
    expect(find('http.fetch', /^PUT .*\/put$/)).toHaveLength(1);
    expect(find('http.fetch', /^DELETE .*\/delete$/)).toHaveLength(1);
    // no denied call and no read is in the plan
    expect(plan.filter((entry) => /secret\.txt|link-out|\/get$/.test(entry.target) || entry.target === root)).toEqual([]);
    const hardEntries = find('fs.writeFile', /\/hard$/);
    expect(plan).toHaveLength(10 + hardEntries.length);
    for (const entry of plan) expect(['fs', 'http']).toContain(entry.capability);
    expect(run.json.changed).toBe(true);
  });

  it('the write of an existing file carries a unified diff; the same bytes are planned as no change', () => {
    const plan = run.json.plan as { call: string; target: string; changes: boolean; diff?: string }[];
    const existing = plan.find((entry) => entry.target === path.join(root, 'existing.txt'))!;
    expect(existing.changes).toBe(true);
    expect(existing.diff).toMatch(/^@@ -1,3 \+1,3 @@$/m);
    expect(existing.diff).toMatch(/^-line2$/m);
    expect(existing.diff).toMatch(/^\+LINE2$/m);
    expect(existing.diff).toMatch(/^ line1$/m);
    const same = plan.find((entry) => entry.target === path.join(root, 'same.txt'))!;
    expect(same.changes).toBe(false);
    const created = plan.find((entry) => entry.target === path.join(root, 'new.txt'))!;
    expect(created.changes).toBe(true);
    expect(created.diff ?? '').toMatch(/^\+brand new$/m);
  });

  it('a plan never shows a file read through a hard link out of the root', () => {
    expect(run.stdout).not.toContain('TOP-SECRET-OUTSIDE');
    expect(run.stderr).not.toContain('TOP-SECRET-OUTSIDE');
  });

  it('a check run whose only writes change nothing says changed: false', async () => {
    const attempts: Attempt[] = [
      { id: 'write-same', call: 'fs.writeFile', args: [path.join(root, 'same.txt'), 'same\n'] },
      { id: 'mkdir-existing', call: 'fs.mkdir', args: [root] },
      { id: 'get', call: 'http.fetch', args: [`http://127.0.0.1:${port}/get2`] },
    ];
    const second = await runProv(['run', ext.dir, 'list-servers', '--json', '--check', '--input', JSON.stringify({ attempts }),
      '--allow-read', root, '--allow-write', root, '--allow-http', `http://127.0.0.1:${port}`]);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.json.changed).toBe(false);
    expect(second.json.plan.map((entry: { changes: boolean }) => entry.changes)).toEqual([false, false]);
    expect(await snapshot(root)).toEqual(before);
  });
});

describe('uncaught fs errors end the run with the host\'s exit code', () => {
  let T: string;
  let ext: TempExtension;

  beforeAll(async () => {
    T = await mkdtemp(path.join(os.tmpdir(), 'prov-fs-uncaught-'));
    await mkdir(path.join(T, 'root'));
    await mkdir(path.join(T, 'asked'));
    ext = await createTempExtension({
      manifestExtra: `[permissions]\nfs_read = ${tomlList([path.join(T, 'root'), path.join(T, 'asked')])}\n`,
      source: SOURCE,
    });
  });
  afterAll(async () => {
    await ext?.cleanup();
    if (T) await rm(T, { recursive: true, force: true });
  });

  const cases = [
    {
      name: 'a path outside every root: exit 4',
      input: () => ({ call: 'fs.readFile', args: ['/etc/passwd'] }),
      exit: 4,
      error: () => ({ code: 'PermissionDenied', message: notAsked('read', '/etc/passwd') }),
    },
    {
      name: 'a root the manifest asks for, not granted: exit 4 with the flag in the hint',
      input: () => ({ call: 'fs.readFile', args: [path.join(T, 'asked', 'x')] }),
      exit: 4,
      error: () => ({
        code: 'PermissionDenied',
        message: `Requires read access to "${path.join(T, 'asked', 'x')}", which metadata.toml asks for but the operator has not granted`,
        hint: expect.stringContaining(`--allow-read ${path.join(T, 'asked')}`),
      }),
    },
    {
      name: 'a NUL byte: exit 4',
      input: () => ({ call: 'fs.readFile', args: [`${path.join(T, 'root')}/a\0b`] }),
      exit: 4,
      error: () => ({ code: 'PermissionDenied', message: expect.stringMatching(/NUL/) }),
    },
    {
      name: 'a write with no fs_write at all: exit 4',
      input: () => ({ call: 'fs.writeFile', args: [path.join(T, 'root', 'x'), 'x'] }),
      exit: 4,
      error: () => ({ code: 'PermissionDenied', message: notAsked('write', path.join(T, 'root', 'x')) }),
    },
  ];

  it.each(cases)('$name', async ({ input, exit, error }) => {
    const run = await runProv(['run', ext.dir, 'get-zones', '--json', '--input', JSON.stringify(input()), '--allow-read', path.join(T, 'root')]);
    expect(run.code, run.stdout + run.stderr).toBe(exit);
    expect(run.json.ok).toBe(false);
    expect(run.json.error).toMatchObject(error());
    expect(typeof run.json.error.hint).toBe('string');
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(await readdir(path.join(T, 'root'))).toEqual([]);
  });
});
