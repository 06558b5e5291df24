/**
 * Adversarial end-to-end tests of `ctx.servers` and `ctx.systemctl`
 * (PRODUCT.md §3, §3.1) against a real Debian target booted with
 * systemd-nspawn (test/targets/systemd-target.ts): real sshd, real systemd,
 * real symbolic links on the far side. Every denied row is also proved on the
 * target with the test's own ssh: canary files keep their bytes, inodes and
 * mtimes, canary units never start, no marker file appears.
 *
 * One `prov run` covers a whole table: the operation takes the calls as its
 * input, catches each call's error and returns one outcome per row.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProv, type CliResult } from '../helpers/run-cli.js';
import { outcomesById, tomlList } from '../helpers/attempt-table.js';
import { createTempExtension, providerSource, type TempExtension } from '../helpers/temp-extension.js';
import { targetsUnavailable, upTarget, type Target } from '../targets/systemd-target.js';

const TARGET_NAME = 'bypass';
const TARGET_PORT = 2241;
const SECRET = 'TOP-SECRET-REMOTE';
/** A file name in the root full of shell syntax. */
const META_NAME = `/srv/prov/meta $(touch pwned-a) \`touch pwned-b\` ';touch pwned-c;' "x" & touch pwned-d; #.txt`;

// ---------------------------------------------------------------- the extension

/**
 * `listServers` performs every call of its input (`{id, call: 'servers.exec' | 'systemctl', args}`)
 * and returns one outcome each; `getZones` performs one call uncaught.
 * For exec rows with `expectStdout`, the guest itself compares the bytes.
 */
const SOURCE = providerSource({
  listServers: `async listServers(input: any, ctx: any) {
    const out: any[] = [];
    for (const attempt of input.attempts) {
      const started = Date.now();
      try {
        const args = [...attempt.args];
        let value: any;
        if (attempt.call === 'systemctl') value = await ctx.systemctl(...args);
        else {
          const [capability, name] = attempt.call.split('.');
          value = await ctx[capability][name](...args);
        }
        const row: any = { id: attempt.id, ok: true, value, ms: Date.now() - started };
        if (typeof attempt.expectStdout === 'string') row.exact = value.stdout === attempt.expectStdout;
        out.push(row);
      } catch (error: any) {
        out.push({ id: attempt.id, ok: false, code: error?.code ?? null, message: String(error?.message ?? error),
          hint: error?.hint ?? null, reason: error?.reason ?? null, ms: Date.now() - started });
      }
    }
    return out;
  }`,
  getZones: `async getZones(input: any, ctx: any) {
    if (input.call === 'systemctl') return await ctx.systemctl(...input.args);
    const [capability, name] = input.call.split('.');
    return await ctx[capability][name](...input.args);
  }`,
});

interface Attempt {
  id: string;
  call: string;
  args: unknown[];
  expectStdout?: string;
}

interface Outcome {
  id: string;
  ok: boolean;
  value?: any;
  exact?: boolean;
  code?: string | null;
  message?: string;
  hint?: string | null;
  reason?: string | null;
  ms: number;
}

type Expect =
  | { kind: 'exact'; message: string }
  | { kind: 'denied'; message: RegExp }
  | { kind: 'error'; codes: string[] }
  | { kind: 'ok'; value?: unknown }
  | { kind: 'any' };

interface Row extends Attempt {
  why: string;
  expect: Expect;
}

const byId = (result: CliResult) => outcomesById<Outcome>(result);

const notAsked = (noun: string, value: string) => `Requires ${noun} ${JSON.stringify(value)}; metadata.toml does not ask for it`;
const askedNotGranted = (noun: string, value: string) => `Requires ${noun} ${JSON.stringify(value)}, which metadata.toml asks for but the operator has not granted`;
const READ = 'reading on the server';
const WRITE = 'writing on the server';
const PROGRAM = 'running the program';
const UNIT = 'systemctl on the unit';

function checkRow(row: Row, outcome: Outcome | undefined): void {
  expect(outcome, `row ${row.id} missing`).toBeDefined();
  const shown = `${row.id} (${row.why}): ${JSON.stringify(outcome)}`;
  switch (row.expect.kind) {
    case 'exact':
      expect(outcome!.ok, shown).toBe(false);
      expect(outcome!.code, shown).toBe('PermissionDenied');
      expect(outcome!.message, shown).toBe(row.expect.message);
      expect(outcome!.hint, shown).toMatch(/\[permissions\]|--allow-/);
      break;
    case 'denied':
      expect(outcome!.ok, shown).toBe(false);
      expect(outcome!.code, shown).toBe('PermissionDenied');
      expect(outcome!.message, shown).toMatch(row.expect.message);
      break;
    case 'error':
      expect(outcome!.ok, shown).toBe(false);
      expect(row.expect.codes, shown).toContain(outcome!.code);
      break;
    case 'ok':
      expect(outcome!.ok, shown).toBe(true);
      if ('value' in row.expect) expect(outcome!.value, shown).toEqual(row.expect.value);
      break;
    case 'any':
      if (!outcome!.ok) expect(['PermissionDenied', 'HostCallFailed'], shown).toContain(outcome!.code);
      break;
  }
  expect(JSON.stringify(outcome), shown).not.toContain(SECRET);
  expect(outcome!.ms, shown).toBeLessThan(10_000);
}

/** A unit that, when it really starts, leaves /tmp/NAME-started behind. */
function unitFile(name: string): string {
  return `[Unit]\nDescription=prov test ${name}\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/usr/bin/touch /tmp/${name}-started\n[Install]\nWantedBy=multi-user.target\n`;
}

const UNITS = ['demo1', 'demo2', 'other', 'prov-canary', 'check-unit', 'active-unit'];

const SETUP = `set -e
mkdir -p /srv/prov/sub /srv/prov/a /srv/outside/dir /srv/prov-evil /srv/ro /srv/check
printf 'inside\\n' > /srv/prov/data.txt
printf 'sub\\n' > /srv/prov/sub/f.txt
printf '${SECRET}\\n' > /srv/outside/secret.txt
printf 'inner\\n' > /srv/outside/dir/inner.txt
printf 'evil\\n' > /srv/prov-evil/file
printf 'ro\\n' > /srv/ro/ro.txt
ln -s /srv/prov/data.txt /srv/prov/inner-link
ln -s /srv/outside/secret.txt /srv/prov/link-out
ln -s /srv/outside/secret.txt /srv/prov/link-out2
ln -s /srv/outside /srv/prov/link-dir
ln -s ../outside/secret.txt /srv/prov/rel-link
ln -s /srv/outside/created.txt /srv/prov/dangling
mkfifo /srv/prov/fifo
printf 'line1\\nline2\\nline3\\n' > /srv/check/existing.txt
printf 'same\\n' > /srv/check/same.txt
printf 'mode\\n' > /srv/check/mode.txt
printf 'bye\\n' > /srv/check/doomed.txt
ln -s /srv/outside/secret.txt /srv/check/link-out
find /srv -mindepth 1 -exec touch -h -d '2020-01-01 00:00:00' {} +
${UNITS.map((name) => `printf '%s' '${unitFile(name)}' > /etc/systemd/system/${name}.service`).join('\n')}
systemctl daemon-reload
systemctl enable --now active-unit.service
rm -f /tmp/active-unit-started
`;

/** Every entry under the given trees on the target: type, size, mtime, inode, mode, link target, and a digest of each file. */
async function remoteSnapshot(target: Target, dirs: string[]): Promise<Record<string, string>> {
  const list = await target.ssh(`find ${dirs.join(' ')} -printf '%p|%y|%s|%T@|%i|%m|%l\\n'`);
  const sums = await target.ssh(`find ${dirs.join(' ')} -type f -exec sha256sum {} +`, { allowFailure: true });
  const out: Record<string, string> = {};
  for (const line of list.stdout.split('\n').filter(Boolean)) {
    const [file, type, size, mtime, ino, mode, link] = line.split('|');
    // a directory's size and mtime follow its entries: only files and links are compared by them
    out[file!] = type === 'd' ? `d|${ino}|${mode}` : `${type}|${size}|${mtime}|${ino}|${mode}|${link}`;
  }
  for (const line of sums.stdout.split('\n').filter(Boolean)) {
    out[`${line.slice(66)} sha256`] = line.slice(0, 64);
  }
  return out;
}

async function tmpEntries(target: Target): Promise<string[]> {
  return (await target.ssh('ls -A /tmp')).stdout.split('\n').filter((name) => name !== '' && !name.startsWith('systemd-private-'));
}

async function unitState(target: Target, unit: string): Promise<{ active: string; enabled: string }> {
  const active = (await target.ssh(`systemctl is-active ${unit}`, { allowFailure: true })).stdout.trim();
  const enabled = (await target.ssh(`systemctl is-enabled ${unit}`, { allowFailure: true })).stdout.trim();
  return { active, enabled };
}

// ---------------------------------------------------------------- tests

const unavailable = await targetsUnavailable();
const required = process.env['PROV_REQUIRE_TARGETS'] === '1';

if (unavailable !== undefined && required) {
  it('systemd targets are available (PROV_REQUIRE_TARGETS=1)', () => {
    expect.fail(`targets unavailable: ${unavailable}`);
  });
}

describe.skipIf(unavailable !== undefined && !required)(`servers and systemctl never reach past the grant${unavailable === undefined ? '' : ` (skipped: ${unavailable})`}`, () => {
  let target: Target;
  let home: string;
  let localDir: string;
  const env = () => ({ PROV_HOME: home });
  const prov = (args: string[], timeoutMs = 90_000) => runProv(args, { env: env(), timeoutMs });

  beforeAll(async () => {
    target = await upTarget(TARGET_NAME, TARGET_PORT);
    home = await mkdtemp(path.join(os.tmpdir(), 'prov-home-servers-bypass-'));
    localDir = await mkdtemp(path.join(os.tmpdir(), 'prov-servers-bypass-local-'));
    await target.ssh('sh -s', { input: SETUP });
    // bypass and web2 carry tag web; other and third are real, reachable servers (the same target) with tag db
    for (const [name, tag] of [['bypass', 'web'], ['web2', 'web'], ['other', 'db'], ['third', 'db']] as const) {
      const added = await prov(['server', 'add', name, '--host', target.host, '--port', String(target.port), '--user', 'root',
        '--identity', target.identity, '--known-hosts', target.knownHosts, '--tag', tag, '--json']);
      expect(added.code, added.stdout + added.stderr).toBe(0);
    }
  }, 180_000);

  afterAll(async () => {
    await target?.down();
    if (home) await rm(home, { recursive: true, force: true });
    if (localDir) await rm(localDir, { recursive: true, force: true });
  }, 60_000);

  // ------------------------------------------------------------ run A: servers, exec, remote paths

  describe('servers, programs and remote paths outside the grant', () => {
    let ext: TempExtension;
    let run: CliResult;
    let outcomes: Map<string, Outcome>;
    let rows: Row[] = [];
    let before: Record<string, string>;
    let tmpBefore: string[];
    let localMarker: string;

    // every shell metacharacter, quoting trick and option-looking word: each must arrive byte-exact
    const META = [
      ';', '|', '&', '$', '(', ')', '`', '<', '>', '*', '?', '[', ']', '{', '}', '~', '#', '!', '\\', "'", '"', '\n', ' ', '\t', '',
      ';|&$()`<>*?[]{}~#!\\\'"\n \t',
      '$(touch /tmp/pwned)', '`touch /tmp/pwned`', "'; touch /tmp/pwned; '", '"; touch /tmp/pwned; "', "'\\''; touch /tmp/pwned #",
      "\\'; touch /tmp/pwned #", 'x\ntouch /tmp/pwned', '\ntouch /tmp/pwned\n', '; touch /tmp/pwned', '&& touch /tmp/pwned', '| touch /tmp/pwned',
      '> /tmp/pwned', '$(</etc/shadow)', '${IFS}touch${IFS}/tmp/pwned', "$'\\x27'", '$HOME', '${PATH}', '$((1+1))', '!!', '~root', '/*', '*',
      '--help', '--version', '-n', '-e', '--', '-', '-oProxyCommand=touch /tmp/pwned', '%s', '%d', '%n', '\\n', 'é€😀', 'a\u00a0b',
    ];

    beforeAll(async () => {
      localMarker = path.join(localDir, 'pwned-local');
      const server = (id: string, name: unknown, why: string, expect: Expect): Row => ({
        id, why, call: 'servers.exec', args: [name, ['/usr/bin/touch', `/tmp/pwned-${id}`]], expect,
      });
      const deniedServer = (name: string): Expect => ({ kind: 'denied', message: new RegExp(`^Requires the server ${escape(JSON.stringify(name))}`) });
      const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const exec = (id: string, argv: unknown, why: string, expect: Expect, options?: unknown): Row => ({
        id, why, call: 'servers.exec', args: options === undefined ? ['bypass', argv] : ['bypass', argv, options], expect,
      });
      const shTouch = ['-c', 'touch /tmp/pwned'];
      const dl = (id: string, file: unknown, why: string, expect: Expect): Row => ({ id, why, call: 'servers.download', args: ['bypass', file], expect });
      const ul = (id: string, file: unknown, why: string, expect: Expect, content: unknown = 'pwned\n', options?: unknown): Row => ({
        id, why, call: 'servers.upload', args: options === undefined ? ['bypass', file, content] : ['bypass', file, content, options], expect,
      });
      const rmRow = (id: string, file: unknown, why: string, expect: Expect): Row => ({ id, why, call: 'servers.remove', args: ['bypass', file], expect });

      rows = [
        // -------- servers
        { id: 'list', why: 'list shows the granted servers only', call: 'servers.list', args: [], expect: { kind: 'ok' } },
        { id: 'get-bypass', why: 'get of a granted server: no key, no host keys', call: 'servers.get', args: ['bypass'],
          expect: { kind: 'ok', value: { name: 'bypass', host: '127.0.0.1', port: TARGET_PORT, user: 'root', tags: ['web'] } } },
        { id: 'get-other', why: 'get of a server the manifest names, not granted', call: 'servers.get', args: ['other'], expect: deniedServer('other') },
        server('exec-other', 'other', 'in the inventory and the manifest, not granted by the operator', { kind: 'exact', message: askedNotGranted('the server', 'other') }),
        server('exec-third', 'third', 'in the inventory, granted by the operator only (tag mismatch with the manifest\'s tag:web)', deniedServer('third')),
        server('exec-ghost', 'ghost', 'not in the inventory', deniedServer('ghost')),
        { id: 'exec-local', why: 'local, not granted', call: 'servers.exec', args: ['local', ['/usr/bin/touch', '<local-marker>']], expect: deniedServer('local') },
        { id: 'upload-other', why: 'upload to a server not granted', call: 'servers.upload', args: ['other', '/srv/prov/pwned-other.txt', 'x'], expect: deniedServer('other') },
        { id: 'download-third', why: 'download from a server not granted', call: 'servers.download', args: ['third', '/srv/prov/data.txt'], expect: deniedServer('third') },
        { id: 'remove-other', why: 'remove on a server not granted', call: 'servers.remove', args: ['other', '/srv/prov/data.txt'], expect: deniedServer('other') },
        { id: 'remove-local', why: 'remove on local, not granted', call: 'servers.remove', args: ['local', '/srv/prov/data.txt'], expect: deniedServer('local') },
        server('exec-upper', 'BYPASS', 'names are matched exactly', deniedServer('BYPASS')),
        server('exec-tag-as-name', 'tag:web', 'a grant pattern is not a server name', deniedServer('tag:web')),
        server('exec-star', '*', '* is not a server name', deniedServer('*')),
        server('exec-space', 'bypass ', 'a trailing space', deniedServer('bypass ')),
        server('exec-ssh-option', '-oProxyCommand=touch /tmp/pwned', 'an ssh option for a server name', deniedServer('-oProxyCommand=touch /tmp/pwned')),
        server('exec-newline-server', 'bypass\n', 'a trailing newline', { kind: 'denied', message: /^Requires the server "bypass\\+n"/ }),
        server('exec-empty-server', '', 'an empty server name', { kind: 'denied', message: /non-empty string/ }),
        server('exec-number-server', 7, 'a number for a server', { kind: 'denied', message: /non-empty string/ }),
        { id: 'exec-web2', why: 'another server with the granted tag', call: 'servers.exec', args: ['web2', ['/usr/bin/echo', 'web2']], expect: { kind: 'ok', value: { code: 0, stdout: 'web2\n', stderr: '', planned: false } } },
        // -------- exec: programs
        exec('prog-sh', ['sh', ...shTouch], 'a relative program', { kind: 'denied', message: /not an absolute program path/ }),
        exec('prog-bin-sh', ['bin/sh', ...shTouch], 'a relative path', { kind: 'denied', message: /not an absolute program path/ }),
        exec('prog-dot-sh', ['./sh', ...shTouch], 'a ./ path', { kind: 'denied', message: /not an absolute program path/ }),
        exec('prog-tilde', ['~/sh', ...shTouch], 'a ~ path', { kind: 'denied', message: /not an absolute program path/ }),
        exec('prog-empty', ['', ...shTouch], 'an empty program', { kind: 'denied', message: /not an absolute program path/ }),
        exec('prog-dotdot-sh', ['/bin/../bin/sh', ...shTouch], '/bin/../bin/sh is /bin/sh, not granted by the manifest', { kind: 'exact', message: notAsked(PROGRAM, '/bin/sh') }),
        exec('prog-slashslash-sh', ['//bin/sh', ...shTouch], '//bin/sh is /bin/sh', { kind: 'exact', message: notAsked(PROGRAM, '/bin/sh') }),
        exec('prog-usr-dotdot-sh', ['/usr/bin/../../bin/sh', ...shTouch], 'dotdot up to /bin/sh', { kind: 'exact', message: notAsked(PROGRAM, '/bin/sh') }),
        exec('prog-echo-dotdot', ['/usr/bin/../bin/echo', 'normalised'], '/usr/bin/../bin/echo is the granted /usr/bin/echo', { kind: 'ok', value: { code: 0, stdout: 'normalised\n', stderr: '', planned: false } }),
        exec('prog-echo-slashes', ['//usr//bin/./echo', 'normalised'], '//usr//bin/./echo is the granted /usr/bin/echo', { kind: 'ok', value: { code: 0, stdout: 'normalised\n', stderr: '', planned: false } }),
        exec('prog-echo2', ['/usr/bin/echo2'], 'a grant of /usr/bin/echo is not a prefix', { kind: 'exact', message: notAsked(PROGRAM, '/usr/bin/echo2') }),
        exec('prog-ech-question', ['/usr/bin/ech?'], 'no glob in program grants', { kind: 'exact', message: notAsked(PROGRAM, '/usr/bin/ech?') }),
        exec('prog-ech-star', ['/usr/bin/ech*'], 'no glob in program grants', { kind: 'exact', message: notAsked(PROGRAM, '/usr/bin/ech*') }),
        exec('prog-bin-echo', ['/bin/echo', 'x'], 'the same file by another path is another program', { kind: 'exact', message: notAsked(PROGRAM, '/bin/echo') }),
        exec('prog-trailing-slash', ['/usr/bin/echo/'], 'a directory path', { kind: 'denied', message: /directory/ }),
        exec('prog-with-args', ['/usr/bin/echo x; touch /tmp/pwned'], 'a command line for a program path', { kind: 'exact', message: notAsked(PROGRAM, '/usr/bin/echo x; touch /tmp/pwned') }),
        exec('prog-newline', ['/usr/bin/echo\ntouch /tmp/pwned'], 'a newline in the program path', { kind: 'denied', message: /^Requires running the program "/ }),
        exec('prog-nul', ['/usr/bin/echo\0/../../bin/sh', ...shTouch], 'NUL in the program path', { kind: 'denied', message: /NUL/ }),
        exec('prog-bin-sh-operator', ['/usr/bin/env', 'sh', ...shTouch], 'granted by the operator, not asked by the manifest', { kind: 'exact', message: notAsked(PROGRAM, '/usr/bin/env') }),
        // -------- exec: argv and options
        exec('argv-string', '/usr/bin/echo hi', 'argv a string', { kind: 'denied', message: /argv must be a non-empty array of strings/ }),
        exec('argv-object', { 0: '/usr/bin/echo', length: 1 }, 'argv an array-like object', { kind: 'denied', message: /argv must be a non-empty array of strings/ }),
        exec('argv-empty', [], 'argv empty', { kind: 'denied', message: /argv must be a non-empty array of strings/ }),
        exec('argv-null', null, 'argv null', { kind: 'denied', message: /argv must be a non-empty array of strings/ }),
        exec('argv-number-elem', ['/usr/bin/echo', 1], 'a number in argv', { kind: 'denied', message: /argv must be a non-empty array of strings/ }),
        exec('argv-null-elem', ['/usr/bin/echo', null], 'null in argv', { kind: 'denied', message: /argv must be a non-empty array of strings/ }),
        exec('argv-array-elem', ['/usr/bin/echo', ['a']], 'an array in argv', { kind: 'denied', message: /argv must be a non-empty array of strings/ }),
        exec('argv-object-elem', ['/usr/bin/echo', { toString: 'x' }], 'an object in argv', { kind: 'denied', message: /argv must be a non-empty array of strings/ }),
        exec('argv-nul', ['/usr/bin/echo', 'a\0; touch /tmp/pwned'], 'NUL in an argument', { kind: 'denied', message: /NUL/ }),
        exec('opt-shell', ['/usr/bin/echo', 'x'], 'option shell', { kind: 'denied', message: /unknown option "shell"/ }, { shell: true }),
        exec('opt-shell-string', ['/usr/bin/echo', 'x'], 'option shell as a path', { kind: 'denied', message: /unknown option "shell"/ }, { shell: '/bin/sh' }),
        exec('opt-env', ['/usr/bin/echo', 'x'], 'option env', { kind: 'denied', message: /unknown option "env"/ }, { env: { LD_PRELOAD: '/tmp/x.so' } }),
        exec('opt-cwd', ['/usr/bin/echo', 'x'], 'option cwd', { kind: 'denied', message: /unknown option "cwd"/ }, { cwd: '/tmp' }),
        exec('opt-uid', ['/usr/bin/echo', 'x'], 'option uid', { kind: 'denied', message: /unknown option "uid"/ }, { uid: 0 }),
        exec('opt-user', ['/usr/bin/echo', 'x'], 'option user', { kind: 'denied', message: /unknown option "user"/ }, { user: 'root' }),
        exec('opt-not-object', ['/usr/bin/echo', 'x'], 'options a string', { kind: 'denied', message: /options must be an object/ }, 'shell'),
        exec('opt-array', ['/usr/bin/echo', 'x'], 'options an array', { kind: 'denied', message: /options must be an object/ }, ['shell']),
        exec('opt-stdin-number', ['/usr/bin/cat'], 'stdin a number', { kind: 'denied', message: /stdin must be a string/ }, { stdin: 5 }),
        exec('opt-timeout-negative', ['/usr/bin/echo', 'x'], 'a negative timeout', { kind: 'denied', message: /timeout must be a positive number/ }, { timeout: -1 }),
        // -------- exec: the program receives exactly the argv given
        { ...exec('meta-printf', ['/usr/bin/printf', '%s\\n', ...META], 'every metacharacter round-trips byte-exact', { kind: 'ok' }),
          args: ['bypass', ['/usr/bin/printf', '%s\n', ...META]], expectStdout: META.map((word) => `${word}\n`).join('') },
        { ...exec('meta-echo', ['/usr/bin/echo'], 'echo of injection attempts', { kind: 'ok' }),
          args: ['bypass', ['/usr/bin/echo', 'a', '$(touch /tmp/pwned)', '`touch /tmp/pwned`', "'; touch /tmp/pwned; '", '\'"\'"\'']],
          expectStdout: `a $(touch /tmp/pwned) \`touch /tmp/pwned\` '; touch /tmp/pwned; ' '"'"'\n` },
        { ...exec('meta-each', ['/usr/bin/printf'], 'each metacharacter alone as the format', { kind: 'ok' }),
          args: ['bypass', ['/usr/bin/printf', '[%s]', ';', '&', '|', '`', '$(id)', '\n', "'", '"', '\\']], expectStdout: '[;][&][|][`][$(id)][\n][\'][\"][\\]' },
        { ...exec('stdin', ['/usr/bin/cat'], 'stdin reaches the program byte-exact', { kind: 'ok' }),
          args: ['bypass', ['/usr/bin/cat'], { stdin: "line1\n$(touch /tmp/pwned)\n'quoted' \"d\" `b`\né€😀\n" }],
          expectStdout: "line1\n$(touch /tmp/pwned)\n'quoted' \"d\" `b`\né€😀\n" },
        { ...exec('stdin-dash', ['/usr/bin/cat'], 'an option-looking argument reaches the program', { kind: 'ok' }),
          args: ['bypass', ['/usr/bin/cat', '--', '-'], { stdin: 'via-dash\n', timeout: 10_000 }], expectStdout: 'via-dash\n' },
        { ...exec('exit-code', ['/usr/bin/cat'], 'a failing program is a result, not an error', { kind: 'ok' }),
          args: ['bypass', ['/usr/bin/cat', '/nonexistent; touch /tmp/pwned']] },
        // -------- remote paths: download
        dl('dl-ok', '/srv/prov/data.txt', 'a file in the root', { kind: 'ok', value: 'inside\n' }),
        dl('dl-inner-link', '/srv/prov/inner-link', 'a link that stays inside the root', { kind: 'ok', value: 'inside\n' }),
        dl('dl-ro-ok', '/srv/ro/ro.txt', 'a read-only root', { kind: 'ok', value: 'ro\n' }),
        dl('dl-dotdot', '/srv/prov/../outside/secret.txt', '.. out of the root', { kind: 'exact', message: notAsked(READ, '/srv/outside/secret.txt') }),
        dl('dl-dotdot-deep', '/srv/prov/a/../../../../../etc/shadow', 'many .. up to /etc/shadow', { kind: 'exact', message: notAsked(READ, '/etc/shadow') }),
        dl('dl-absolute', '/etc/shadow', 'an absolute path elsewhere', { kind: 'exact', message: notAsked(READ, '/etc/shadow') }),
        dl('dl-prefix', '/srv/prov-evil/file', '/srv/prov-evil is not under /srv/prov', { kind: 'exact', message: notAsked(READ, '/srv/prov-evil/file') }),
        dl('dl-operator-only', '/srv/outside/secret.txt', 'granted by the operator, not asked by the manifest', { kind: 'exact', message: notAsked(READ, '/srv/outside/secret.txt') }),
        dl('dl-link-out', '/srv/prov/link-out', 'a link on the target pointing out of the root', { kind: 'exact', message: notAsked(READ, '/srv/outside/secret.txt') }),
        dl('dl-rel-link', '/srv/prov/rel-link', 'a relative link pointing out', { kind: 'exact', message: notAsked(READ, '/srv/outside/secret.txt') }),
        dl('dl-link-dir-child', '/srv/prov/link-dir/secret.txt', 'a file below a linked directory', { kind: 'exact', message: notAsked(READ, '/srv/outside/secret.txt') }),
        dl('dl-newline-link', '/srv/prov/link-out\n/x', 'a newline in the path: must not read the file link-out points to', { kind: 'error', codes: ['PermissionDenied', 'HostCallFailed'] }),
        dl('dl-newline-data', '/srv/prov/data.txt\n/x', 'a newline in the path names another file than data.txt', { kind: 'error', codes: ['PermissionDenied', 'HostCallFailed'] }),
        dl('dl-nul', '/srv/prov/data.txt\0/../../outside/secret.txt', 'NUL in a path', { kind: 'denied', message: /NUL/ }),
        dl('dl-relative', 'srv/prov/data.txt', 'a relative path', { kind: 'denied', message: /not an absolute path/ }),
        dl('dl-relative-dot', './data.txt', 'a ./ path', { kind: 'denied', message: /not an absolute path/ }),
        dl('dl-empty', '', 'an empty path', { kind: 'denied', message: /non-empty string/ }),
        dl('dl-number', 42, 'a number for a path', { kind: 'denied', message: /non-empty string/ }),
        dl('dl-meta-subst', '/srv/prov/$(touch /tmp/pwned)', 'a substitution in a path', { kind: 'error', codes: ['HostCallFailed'] }),
        dl('dl-meta-quote', "/srv/prov/'; touch /tmp/pwned; '", 'a quote break in a path', { kind: 'error', codes: ['HostCallFailed'] }),
        dl('dl-meta-backtick', '/srv/prov/`touch /tmp/pwned`', 'backticks in a path', { kind: 'error', codes: ['HostCallFailed'] }),
        dl('dl-fifo', '/srv/prov/fifo', 'a FIFO in the root: refused, never blocks', { kind: 'error', codes: ['HostCallFailed', 'PermissionDenied'] }),
        dl('dl-dir', '/srv/prov/sub', 'a directory', { kind: 'error', codes: ['HostCallFailed', 'PermissionDenied'] }),
        // -------- remote paths: upload
        ul('ul-ok', '/srv/prov/uploaded.txt', 'a new file in the root', { kind: 'ok', value: { planned: false, changed: true } }, 'uploaded\n'),
        ul('ul-ro', '/srv/ro/new.txt', 'only read is granted there', { kind: 'exact', message: notAsked(WRITE, '/srv/ro/new.txt') }),
        ul('ul-outside', '/srv/outside/new.txt', 'outside every root', { kind: 'exact', message: notAsked(WRITE, '/srv/outside/new.txt') }),
        ul('ul-dotdot', '/srv/prov/../outside/secret.txt', '.. out of the root', { kind: 'exact', message: notAsked(WRITE, '/srv/outside/secret.txt') }),
        ul('ul-tmp', '/tmp/pwned', 'a path elsewhere', { kind: 'exact', message: notAsked(WRITE, '/tmp/pwned') }),
        ul('ul-prefix', '/srv/prov-evil/file', 'the look-alike root', { kind: 'exact', message: notAsked(WRITE, '/srv/prov-evil/file') }),
        ul('ul-link-out', '/srv/prov/link-out', 'through a link pointing out', { kind: 'exact', message: notAsked(WRITE, '/srv/outside/secret.txt') }),
        ul('ul-rel-link', '/srv/prov/rel-link', 'through a relative link pointing out', { kind: 'exact', message: notAsked(WRITE, '/srv/outside/secret.txt') }),
        ul('ul-dangling', '/srv/prov/dangling', 'through a dangling link pointing out', { kind: 'exact', message: notAsked(WRITE, '/srv/outside/created.txt') }),
        ul('ul-link-dir', '/srv/prov/link-dir/new.txt', 'below a linked directory', { kind: 'exact', message: notAsked(WRITE, '/srv/outside/new.txt') }),
        ul('ul-nul', '/srv/prov/x\0/../../outside/secret.txt', 'NUL in a path', { kind: 'denied', message: /NUL/ }),
        ul('ul-relative', 'srv/prov/new.txt', 'a relative path', { kind: 'denied', message: /not an absolute path/ }),
        ul('ul-suid', '/srv/prov/suid.sh', 'setuid bits', { kind: 'denied', message: /mode/ }, '#!/bin/sh\n', { mode: 0o4755 }),
        ul('ul-mode-string', '/srv/prov/mode.sh', 'a string mode', { kind: 'denied', message: /mode/ }, 'x', { mode: '777' }),
        ul('ul-owner', '/srv/prov/owner.txt', 'an unknown option', { kind: 'denied', message: /unknown option "owner"/ }, 'x', { owner: 'root' }),
        ul('ul-content-number', '/srv/prov/number.txt', 'content not a string', { kind: 'denied', message: /content must be a string/ }, 42),
        ul('ul-root-dir', '/srv/prov', 'the root, a directory', { kind: 'error', codes: ['HostCallFailed', 'PermissionDenied'] }),
        ul('ul-meta-name', META_NAME, 'shell metacharacters in a file name in the root: that exact name, nothing run', { kind: 'ok', value: { planned: false, changed: true } }, 'meta\n'),
        ul('ul-newline-link', '/srv/prov/link-out2\n/x', 'a newline in the path: must not write (or read) link-out2', { kind: 'any' }),
        // -------- remote paths: remove
        rmRow('rm-outside', '/srv/outside/secret.txt', 'outside every root', { kind: 'exact', message: notAsked(WRITE, '/srv/outside/secret.txt') }),
        rmRow('rm-dotdot', '/srv/prov/../outside/secret.txt', '.. out of the root', { kind: 'exact', message: notAsked(WRITE, '/srv/outside/secret.txt') }),
        rmRow('rm-link-dir-child', '/srv/prov/link-dir/secret.txt', 'below a linked directory', { kind: 'exact', message: notAsked(WRITE, '/srv/outside/secret.txt') }),
        rmRow('rm-ro', '/srv/ro/ro.txt', 'only read is granted there', { kind: 'exact', message: notAsked(WRITE, '/srv/ro/ro.txt') }),
        rmRow('rm-dir', '/srv/prov/sub', 'a directory', { kind: 'denied', message: /is a directory/ }),
        rmRow('rm-root', '/srv/prov', 'the root itself', { kind: 'denied', message: /is a directory/ }),
        rmRow('rm-root-slash', '/srv/prov/', 'the root with a trailing slash', { kind: 'denied', message: /is a directory/ }),
        rmRow('rm-root-dotdot', '/srv/prov/sub/..', 'the root by ..', { kind: 'denied', message: /is a directory/ }),
        rmRow('rm-meta-subst', '/srv/prov/$(touch /tmp/pwned)', 'a substitution in a path to remove (missing: no change)', { kind: 'ok', value: { planned: false } }),
        rmRow('rm-nul', '/srv/prov/data.txt\0', 'NUL in a path', { kind: 'denied', message: /NUL/ }),
        rmRow('rm-relative', 'data.txt', 'a relative path', { kind: 'denied', message: /not an absolute path/ }),
        rmRow('rm-newline-link-dir', '/srv/prov/link-dir\n/secret.txt', 'a newline in the path: must not remove what link-dir points to', { kind: 'any' }),
        // -------- systemctl without any systemctl grant
        { id: 'sc-reload-no-grant', why: 'daemon-reload without a systemctl grant', call: 'systemctl', args: ['daemon-reload', null, { server: 'bypass' }], expect: { kind: 'exact', message: notAsked(UNIT, 'daemon-reload') } },
        { id: 'sc-status-no-grant', why: 'status without a systemctl grant (operator grants *)', call: 'systemctl', args: ['status', 'demo1.service'], expect: { kind: 'exact', message: notAsked(UNIT, 'demo1.service') } },
        // last: legitimately removes the link, never what it points to
        rmRow('rm-link-out', '/srv/prov/link-out', 'remove of a link removes the link', { kind: 'ok', value: { planned: false } }),
        rmRow('rm-link-dir-slash', '/srv/prov/link-dir/', 'a linked directory with a trailing slash: the link at most, never what it points to', { kind: 'any' }),
      ];
      for (const row of rows) {
        row.args = row.args.map((arg) => (Array.isArray(arg) ? arg.map((word) => (word === '<local-marker>' ? localMarker : word)) : arg));
      }

      ext = await createTempExtension({
        manifestExtra: `[permissions]
servers = ["tag:web", "other"]
exec = ["/usr/bin/printf", "/usr/bin/echo", "/usr/bin/cat", "/usr/bin/touch"]
remote_read = ["/srv/prov", "/srv/ro"]
remote_write = ["/srv/prov"]
[limits]
timeout_ms = 60000
`,
        source: SOURCE,
      });
      before = await remoteSnapshot(target, ['/srv']);
      tmpBefore = await tmpEntries(target);
      run = await prov([
        'run', ext.dir, 'list-servers', '--server', 'bypass', '--json', '--no-prompt',
        '--input', JSON.stringify({ attempts: rows.map(({ id, call, args, expectStdout }) => ({ id, call, args, expectStdout })) }),
        '--allow-server', 'tag:web', '--allow-server', 'third', '--allow-server', 'local',
        '--allow-exec', '/usr/bin/printf', '--allow-exec', '/usr/bin/echo', '--allow-exec', '/usr/bin/cat', '--allow-exec', '/usr/bin/touch',
        // wider than the manifest: widens nothing
        '--allow-exec', '/bin/sh', '--allow-exec', '/usr/bin/env', '--allow-exec', '/bin/echo',
        '--allow-remote-read', '/srv/prov', '--allow-remote-read', '/srv/ro', '--allow-remote-read', '/srv/outside', '--allow-remote-read', '/',
        '--allow-remote-write', '/srv/prov', '--allow-remote-write', '/srv/outside', '--allow-remote-write', '/srv/ro',
        '--allow-systemctl', '*',
      ]);
      outcomes = byId(run);
    }, 120_000);

    afterAll(async () => {
      await ext?.cleanup();
    });

    it('exit 0, one JSON document, every row answered', () => {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.trim().split('\n')).toHaveLength(1);
      expect([...outcomes.keys()]).toEqual(rows.map((row) => row.id));
    });

    it('list() shows the granted servers only (tag:web ∩ the operator\'s), without keys', () => {
      const listed = outcomes.get('list')!.value as Record<string, unknown>[];
      expect(listed.map((entry) => entry['name']).sort()).toEqual(['bypass', 'web2']);
      for (const entry of listed) expect(Object.keys(entry).sort()).toEqual(['host', 'name', 'port', 'tags', 'user']);
    });

    it('a denial does not tell whether a server exists in the inventory', () => {
      const third = outcomes.get('exec-third')!;
      const ghost = outcomes.get('exec-ghost')!;
      expect(ghost.message!.replaceAll('ghost', 'NAME')).toBe(third.message!.replaceAll('third', 'NAME'));
      expect(ghost.hint!.replaceAll('ghost', 'NAME')).toBe(third.hint!.replaceAll('third', 'NAME'));
    });

    it('every metacharacter, quote and option-looking word reaches the program byte-exact', () => {
      for (const id of ['meta-printf', 'meta-echo', 'meta-each', 'stdin', 'stdin-dash']) {
        const outcome = outcomes.get(id)!;
        const row = rows.find((candidate) => candidate.id === id)!;
        expect(outcome, id).toMatchObject({ ok: true, exact: true, value: { code: 0, stderr: '', planned: false } });
        expect(outcome.value.stdout, id).toBe(row.expectStdout);
      }
      const failing = outcomes.get('exit-code')!;
      expect(failing.value.code).toBe(1);
      expect(failing.value.stderr).toBe("/usr/bin/cat: '/nonexistent; touch /tmp/pwned': No such file or directory\n");
    });

    it('nothing was reached on the target: no marker file in /tmp, no file created on this machine', async () => {
      const after = await tmpEntries(target);
      expect(after.filter((name) => !tmpBefore.includes(name))).toEqual([]);
      expect(existsSync(localMarker)).toBe(false);
      // nothing named pwned* anywhere on the target (a name with shell syntax may have run in any directory)
      expect((await target.ssh("find / -xdev -name 'pwned*' -print")).stdout).toBe('');
    });

    it('outside the roots nothing changed: same entries, bytes, mtimes, inodes', async () => {
      const after = await remoteSnapshot(target, ['/srv']);
      const outside = (snapshot: Record<string, string>) => Object.fromEntries(Object.entries(snapshot).filter(([file]) => !file.startsWith('/srv/prov/') && file !== '/srv/prov'));
      expect(outside(after)).toEqual(outside(before));
      expect((await target.ssh('cat /srv/outside/secret.txt')).stdout).toBe(`${SECRET}\n`);
      expect((await target.ssh('test -e /srv/outside/created.txt || echo absent')).stdout).toBe('absent\n');
    });

    it('inside the root only the granted upload and the removed links changed', async () => {
      const after = await remoteSnapshot(target, ['/srv/prov']);
      const expected = { ...before };
      for (const key of Object.keys(expected)) if (!key.startsWith('/srv/prov/') && key !== '/srv/prov') delete expected[key];
      // removed by the last rows: links, never what they point to
      delete expected['/srv/prov/link-out'];
      delete expected['/srv/prov/link-dir'];
      const { ['/srv/prov/uploaded.txt']: uploaded, ['/srv/prov/uploaded.txt sha256']: _sum, ...rest } = after;
      expect(uploaded).toMatch(/^f\|9\|.*\|644\|$/);
      // the file with shell syntax in its name has exactly that name
      expect(rest[META_NAME]).toMatch(/^f\|5\|.*\|644\|$/);
      delete rest[META_NAME];
      delete rest[`${META_NAME} sha256`];
      expect(rest).toEqual(expected);
      expect((await target.ssh('cat /srv/prov/uploaded.txt')).stdout).toBe('uploaded\n');
      expect((await target.ssh('ls -A /srv/prov')).stdout.split('\n').filter((name) => name.includes('.prov-'))).toEqual([]);
    });

    it('a path with a newline never reaches the link it starts with (link-out2 is still the same link)', async () => {
      expect((await target.ssh('readlink /srv/prov/link-out2')).stdout).toBe('/srv/outside/secret.txt\n');
      expect(run.stdout).not.toContain(SECRET);
      expect(run.stderr).not.toContain(SECRET);
    });

    it.each([
      'list', 'get-bypass', 'get-other', 'exec-other', 'exec-third', 'exec-ghost', 'exec-local', 'upload-other', 'download-third', 'remove-other',
      'remove-local', 'exec-upper', 'exec-tag-as-name', 'exec-star', 'exec-space', 'exec-ssh-option', 'exec-empty-server', 'exec-number-server', 'exec-web2',
      'prog-sh', 'prog-bin-sh', 'prog-dot-sh', 'prog-tilde', 'prog-empty', 'prog-dotdot-sh', 'prog-slashslash-sh', 'prog-usr-dotdot-sh',
      'prog-echo-dotdot', 'prog-echo-slashes', 'prog-echo2', 'prog-ech-question', 'prog-ech-star', 'prog-bin-echo', 'prog-trailing-slash',
      'prog-with-args', 'prog-newline', 'prog-nul', 'prog-bin-sh-operator',
      'argv-string', 'argv-object', 'argv-empty', 'argv-null', 'argv-number-elem', 'argv-null-elem', 'argv-array-elem', 'argv-object-elem', 'argv-nul',
      'opt-shell', 'opt-shell-string', 'opt-env', 'opt-cwd', 'opt-uid', 'opt-user', 'opt-not-object', 'opt-array', 'opt-stdin-number', 'opt-timeout-negative',
      'meta-printf', 'meta-echo', 'meta-each', 'stdin', 'stdin-dash', 'exit-code',
      'dl-ok', 'dl-inner-link', 'dl-ro-ok', 'dl-dotdot', 'dl-dotdot-deep', 'dl-absolute', 'dl-prefix', 'dl-operator-only', 'dl-link-out', 'dl-rel-link',
      'dl-link-dir-child', 'dl-newline-link', 'dl-newline-data', 'dl-meta-subst', 'dl-meta-quote', 'dl-meta-backtick', 'dl-nul', 'dl-relative', 'dl-relative-dot', 'dl-empty', 'dl-number', 'dl-fifo', 'dl-dir',
      'ul-ok', 'ul-ro', 'ul-outside', 'ul-dotdot', 'ul-tmp', 'ul-prefix', 'ul-link-out', 'ul-rel-link', 'ul-dangling', 'ul-link-dir', 'ul-nul',
      'ul-relative', 'ul-suid', 'ul-mode-string', 'ul-owner', 'ul-content-number', 'ul-root-dir', 'ul-meta-name', 'ul-newline-link',
      'rm-outside', 'rm-dotdot', 'rm-link-dir-child', 'rm-ro', 'rm-dir', 'rm-root', 'rm-root-slash', 'rm-root-dotdot', 'rm-link-dir-slash', 'rm-meta-subst', 'rm-nul',
      'rm-relative', 'rm-newline-link-dir', 'sc-reload-no-grant', 'sc-status-no-grant', 'rm-link-out', 'exec-newline-server',
    ])('%s', (id) => {
      const row = rows.find((candidate) => candidate.id === id);
      expect(row, `no row ${id}`).toBeDefined();
      checkRow(row!, outcomes.get(id));
    });
  });

  // ------------------------------------------------------------ run B: systemctl

  describe('systemctl: fixed verbs, unit names only, granted patterns only', () => {
    let ext: TempExtension;
    let run: CliResult;
    let outcomes: Map<string, Outcome>;
    let rows: Row[] = [];
    let tmpBefore: string[];

    beforeAll(async () => {
      const sc = (id: string, verb: unknown, unit: unknown, why: string, expect: Expect, options?: unknown): Row => ({
        id, why, call: 'systemctl', args: options === undefined ? [verb, unit] : [verb, unit, options], expect,
      });
      const notVerb = (verb: string) => ({ kind: 'denied' as const, message: new RegExp(`^systemctl: ${JSON.stringify(verb).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a verb prov runs`) });
      const notUnit = { kind: 'denied' as const, message: /is not a unit name/ };
      rows = [
        sc('verb-kill', 'kill', 'demo2.service', 'kill is not in the set', notVerb('kill')),
        sc('verb-mask', 'mask', 'demo2.service', 'mask is not in the set', notVerb('mask')),
        sc('verb-edit', 'edit', 'demo2.service', 'edit is not in the set', notVerb('edit')),
        sc('verb-version', '--version', 'demo2.service', 'an option for a verb', notVerb('--version')),
        sc('verb-isolate', 'isolate', 'demo2.service', 'isolate is not in the set', notVerb('isolate')),
        sc('verb-set-property', 'set-property', 'demo2.service', 'set-property is not in the set', notVerb('set-property')),
        sc('verb-reboot', 'reboot', null, 'reboot is not in the set', notVerb('reboot')),
        sc('verb-upper', 'START', 'demo2.service', 'verbs are matched exactly', notVerb('START')),
        sc('verb-space', 'start ', 'demo2.service', 'a trailing space', notVerb('start ')),
        sc('verb-two', 'start demo2.service', 'demo2.service', 'two words', notVerb('start demo2.service')),
        sc('verb-null', null, 'demo2.service', 'null for a verb', { kind: 'denied', message: /^systemctl: null is not a verb prov runs/ }),
        sc('unit-asked-not-granted', 'start', 'prov-canary.service', 'in the manifest, not granted', { kind: 'exact', message: askedNotGranted(UNIT, 'prov-canary.service') }),
        sc('unit-other', 'start', 'other.service', 'granted by the operator only', { kind: 'exact', message: notAsked(UNIT, 'other.service') }),
        sc('unit-sshd', 'stop', 'sshd.service', 'granted by the operator only', { kind: 'exact', message: notAsked(UNIT, 'sshd.service') }),
        sc('unit-ssh', 'stop', 'ssh.service', 'neither', { kind: 'exact', message: notAsked(UNIT, 'ssh.service') }),
        sc('glob-start', 'start', 'demo1.service', 'demo*.service allows demo1.service', { kind: 'ok' }),
        sc('glob-is-active', 'is-active', 'demo1.service', 'read verb', { kind: 'ok' }),
        sc('glob-show', 'show', 'demo1.service', 'show gives properties', { kind: 'ok' }),
        sc('glob-socket', 'start', 'demo1.socket', 'demo*.service does not allow demo1.socket', { kind: 'exact', message: notAsked(UNIT, 'demo1.socket') }),
        sc('glob-prefix', 'start', 'xdemo1.service', 'the glob is anchored', { kind: 'exact', message: notAsked(UNIT, 'xdemo1.service') }),
        sc('unit-glob-as-name', 'stop', 'demo*.service', 'a glob is not a unit name (systemctl would expand it)', notUnit),
        sc('unit-root-option', 'start', '--root=/', 'an option for a unit', notUnit),
        sc('unit-host-option', 'start', '-H host', 'an option for a unit', notUnit),
        sc('unit-now', 'start', 'demo1.service --now', 'a unit and an option', notUnit),
        sc('unit-dotdot', 'start', '../x.service', 'a path for a unit', notUnit),
        sc('unit-slash', 'start', '/etc/systemd/system/demo1.service', 'a path for a unit', notUnit),
        sc('unit-bare', 'start', 'demo', 'no unit type', notUnit),
        sc('unit-empty', 'start', '', 'empty', notUnit),
        sc('unit-long', 'start', `demo${'a'.repeat(292)}.service`, '300 characters, matching demo*.service', notUnit),
        sc('unit-newline', 'start', 'demo1.service\nprov-canary.service', 'two units by newline', notUnit),
        sc('unit-null', 'start', null, 'null for a unit', notUnit),
        sc('unit-number', 'start', 5, 'a number for a unit', notUnit),
        sc('unit-array', 'start', ['demo1.service', 'prov-canary.service'], 'an array of units', notUnit),
        sc('unit-dash', 'start', '-demo.service', 'a leading dash', notUnit),
        sc('unit-semicolon', 'start', 'demo1.service;reboot', 'a shell separator', notUnit),
        sc('unit-subst', 'start', 'demo$(reboot).service', 'a substitution', notUnit),
        sc('unit-space', 'start', 'demo1.service prov-canary.service', 'two units by space', notUnit),
        sc('unit-nul', 'start', 'demo1.service\0', 'NUL', notUnit),
        sc('reload-with-unit', 'daemon-reload', 'demo1.service', 'daemon-reload takes no unit', { kind: 'denied', message: /daemon-reload takes no unit/ }),
        sc('reload-ok', 'daemon-reload', null, 'daemon-reload is allowed by any systemctl grant', { kind: 'ok' }),
        sc('opt-root', 'status', 'demo1.service', 'an unknown option', { kind: 'denied', message: /unknown option "root"/ }, { server: 'bypass', root: '/' }),
        sc('opt-host', 'status', 'demo1.service', 'an unknown option', { kind: 'denied', message: /unknown option "host"/ }, { server: 'bypass', host: '127.0.0.2' }),
        sc('opt-user', 'status', 'demo1.service', 'an unknown option', { kind: 'denied', message: /unknown option "user"/ }, { user: true }),
        sc('opt-string', 'status', 'demo1.service', 'options a string', { kind: 'denied', message: /options must be an object/ }, 'bypass'),
        sc('opt-server-other', 'start', 'demo2.service', 'a server not granted', { kind: 'exact', message: notAsked('the server', 'other') }, { server: 'other' }),
        sc('opt-server-local', 'start', 'demo2.service', 'local not granted', { kind: 'exact', message: notAsked('the server', 'local') }, { server: 'local' }),
        sc('opt-server-ghost', 'start', 'demo2.service', 'not in the inventory', { kind: 'exact', message: notAsked('the server', 'ghost') }, { server: 'ghost' }),
      ];
      ext = await createTempExtension({
        manifestExtra: `[permissions]
servers = ["bypass"]
systemctl = ["demo*.service", "prov-canary.service"]
[limits]
timeout_ms = 60000
`,
        source: SOURCE,
      });
      tmpBefore = await tmpEntries(target);
      run = await prov([
        'run', ext.dir, 'list-servers', '--server', 'bypass', '--json', '--no-prompt',
        '--input', JSON.stringify({ attempts: rows.map(({ id, call, args }) => ({ id, call, args })) }),
        '--allow-server', 'bypass', '--allow-server', 'other', '--allow-server', 'local',
        '--allow-systemctl', 'demo*.service', '--allow-systemctl', 'other.service', '--allow-systemctl', 'sshd.service',
      ]);
      outcomes = byId(run);
    }, 120_000);

    afterAll(async () => {
      await ext?.cleanup();
    });

    it('exit 0, every row answered', () => {
      expect(run.code, run.stderr).toBe(0);
      expect([...outcomes.keys()]).toEqual(rows.map((row) => row.id));
    });

    it('the granted start ran on the target (positive control) and reports the state', async () => {
      expect(outcomes.get('glob-start')!.value).toMatchObject({ verb: 'start', unit: 'demo1.service', code: 0, active: 'active', planned: false });
      expect(outcomes.get('glob-is-active')!.value).toMatchObject({ verb: 'is-active', unit: 'demo1.service', code: 0, active: 'active' });
      expect(outcomes.get('glob-show')!.value.properties).toMatchObject({ Id: 'demo1.service', ActiveState: 'active' });
      expect(await tmpEntries(target)).toContain('demo1-started');
    });

    it('nothing else was reached: demo2, other and the canary never started, were never masked or enabled; sshd still runs', async () => {
      const after = await tmpEntries(target);
      expect(after.filter((name) => !tmpBefore.includes(name))).toEqual(['demo1-started']);
      for (const unit of ['demo2', 'other', 'prov-canary']) {
        expect(await unitState(target, `${unit}.service`), unit).toEqual({ active: 'inactive', enabled: 'disabled' });
      }
      expect((await unitState(target, 'ssh.service')).active).toBe('active');
    });

    it.each([
      'verb-kill', 'verb-mask', 'verb-edit', 'verb-version', 'verb-isolate', 'verb-set-property', 'verb-reboot', 'verb-upper', 'verb-space', 'verb-two', 'verb-null',
      'unit-asked-not-granted', 'unit-other', 'unit-sshd', 'unit-ssh', 'glob-start', 'glob-is-active', 'glob-show', 'glob-socket', 'glob-prefix',
      'unit-glob-as-name', 'unit-root-option', 'unit-host-option', 'unit-now', 'unit-dotdot', 'unit-slash', 'unit-bare', 'unit-empty', 'unit-long',
      'unit-newline', 'unit-null', 'unit-number', 'unit-array', 'unit-dash', 'unit-semicolon', 'unit-subst', 'unit-space', 'unit-nul',
      'reload-with-unit', 'reload-ok', 'opt-root', 'opt-host', 'opt-user', 'opt-string', 'opt-server-other', 'opt-server-local', 'opt-server-ghost',
    ])('%s', (id) => {
      const row = rows.find((candidate) => candidate.id === id);
      expect(row, `no row ${id}`).toBeDefined();
      checkRow(row!, outcomes.get(id));
    });
  });

  // ------------------------------------------------------------ uncaught denials: exit 4

  describe('an uncaught denial ends the run with exit 4 and one JSON document', () => {
    let ext: TempExtension;

    beforeAll(async () => {
      ext = await createTempExtension({
        manifestExtra: `[permissions]\nservers = ["bypass", "other"]\nexec = ["/usr/bin/touch"]\nsystemctl = ["demo*.service"]\n`,
        source: SOURCE,
      });
    });
    afterAll(async () => {
      await ext?.cleanup();
    });

    it.each([
      { name: 'a relative program', input: { call: 'servers.exec', args: ['bypass', ['sh', '-c', 'touch /tmp/pwned-uncaught']] }, message: /not an absolute program path/ },
      { name: 'a server not granted', input: { call: 'servers.exec', args: ['other', ['/usr/bin/touch', '/tmp/pwned-uncaught']] }, message: /^Requires the server "other", which metadata.toml asks for but the operator has not granted$/ },
      { name: 'a verb outside the set', input: { call: 'systemctl', args: ['mask', 'demo2.service', { server: 'bypass' }] }, message: /"mask" is not a verb prov runs/ },
    ])('$name', async ({ input, message }) => {
      const run = await prov(['run', ext.dir, 'get-zones', '--json', '--no-prompt', '--input', JSON.stringify(input),
        '--allow-server', 'bypass', '--allow-exec', '/usr/bin/touch', '--allow-systemctl', 'demo*.service']);
      expect(run.code, run.stdout + run.stderr).toBe(4);
      expect(run.stdout.trim().split('\n')).toHaveLength(1);
      expect(run.json).toMatchObject({ ok: false, error: { code: 'PermissionDenied', message: expect.stringMatching(message) } });
      expect(typeof run.json.error.hint).toBe('string');
      expect(await tmpEntries(target)).not.toContain('pwned-uncaught');
      expect(await unitState(target, 'demo2.service')).toEqual({ active: 'inactive', enabled: 'disabled' });
    });
  });

  // ------------------------------------------------------------ check mode and changed

  describe('--check leaves the target exactly as it was and plans every call', () => {
    let ext: TempExtension;
    let run: CliResult;
    let outcomes: Map<string, Outcome>;
    let before: Record<string, string>;
    let tmpBefore: string[];
    const grant = [
      '--allow-server', 'bypass', '--allow-exec', '/usr/bin/touch', '--allow-remote-read', '/srv/check', '--allow-remote-write', '/srv/check',
      '--allow-systemctl', 'check-unit.service', '--allow-systemctl', 'active-unit.service',
    ];

    beforeAll(async () => {
      ext = await createTempExtension({
        manifestExtra: `[permissions]
servers = ["bypass"]
exec = ["/usr/bin/touch"]
remote_read = ["/srv/check"]
remote_write = ["/srv/check"]
systemctl = ["check-unit.service", "active-unit.service"]
[limits]
timeout_ms = 60000
`,
        source: SOURCE,
      });
      const attempts: Attempt[] = [
        { id: 'up-new', call: 'servers.upload', args: ['bypass', '/srv/check/new.txt', 'brand new\n'] },
        { id: 'up-changed', call: 'servers.upload', args: ['bypass', '/srv/check/existing.txt', 'line1\nLINE2\nline3\n'] },
        { id: 'up-same', call: 'servers.upload', args: ['bypass', '/srv/check/same.txt', 'same\n'] },
        { id: 'up-mode', call: 'servers.upload', args: ['bypass', '/srv/check/mode.txt', 'mode\n', { mode: 0o600 }] },
        { id: 'rm', call: 'servers.remove', args: ['bypass', '/srv/check/doomed.txt'] },
        { id: 'rm-missing', call: 'servers.remove', args: ['bypass', '/srv/check/never.txt'] },
        { id: 'exec', call: 'servers.exec', args: ['bypass', ['/usr/bin/touch', '/tmp/marker']] },
        { id: 'sc-start', call: 'systemctl', args: ['start', 'check-unit.service'] },
        { id: 'sc-enable', call: 'systemctl', args: ['enable', 'check-unit.service', { server: 'bypass' }] },
        { id: 'sc-restart', call: 'systemctl', args: ['restart', 'check-unit.service'] },
        { id: 'sc-stop-inactive', call: 'systemctl', args: ['stop', 'check-unit.service'] },
        { id: 'sc-reload', call: 'systemctl', args: ['daemon-reload', null] },
        { id: 'sc-stop-active', call: 'systemctl', args: ['stop', 'active-unit.service'] },
        // reads still work and see the unchanged target
        { id: 'read-dl', call: 'servers.download', args: ['bypass', '/srv/check/existing.txt'] },
        { id: 'read-active', call: 'systemctl', args: ['is-active', 'check-unit.service'] },
        // a denial is a denial in check mode too
        { id: 'denied-upload', call: 'servers.upload', args: ['bypass', '/srv/outside/secret.txt', 'pwned'] },
        { id: 'denied-link-upload', call: 'servers.upload', args: ['bypass', '/srv/check/link-out', 'pwned'] },
        { id: 'denied-exec', call: 'servers.exec', args: ['bypass', ['/bin/sh', '-c', 'touch /tmp/marker']] },
        { id: 'denied-sc', call: 'systemctl', args: ['start', 'other.service'] },
        { id: 'denied-verb', call: 'systemctl', args: ['mask', 'check-unit.service'] },
        // a plan never shows what a link out of the root points to
        { id: 'newline-link-upload', call: 'servers.upload', args: ['bypass', '/srv/check/link-out\n/x', 'pwned'] },
      ];
      // the canary may be gone if an earlier table reached it: the check run needs it to prove a plan shows no link's target
      await target.ssh(`test -f /srv/outside/secret.txt || { printf '${SECRET}\\n' > /srv/outside/secret.txt; touch -d '2020-01-01' /srv/outside/secret.txt; }`);
      before = await remoteSnapshot(target, ['/srv']);
      tmpBefore = await tmpEntries(target);
      run = await prov(['run', ext.dir, 'list-servers', '--server', 'bypass', '--json', '--check', '--no-prompt', '--input', JSON.stringify({ attempts }), ...grant]);
      outcomes = byId(run);
    }, 120_000);

    afterAll(async () => {
      await ext?.cleanup();
    });

    it('exit 0, and the target is exactly as it was: bytes, inodes, mtimes, modes, no marker, units untouched', async () => {
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(await remoteSnapshot(target, ['/srv'])).toEqual(before);
      expect((await tmpEntries(target)).filter((name) => !tmpBefore.includes(name))).toEqual([]);
      expect(await unitState(target, 'check-unit.service')).toEqual({ active: 'inactive', enabled: 'disabled' });
      expect(await unitState(target, 'active-unit.service')).toEqual({ active: 'active', enabled: 'enabled' });
    });

    it('mutating calls resolve planned, and the extension sees no diff and no unit state', () => {
      for (const id of ['up-new', 'up-changed', 'up-same', 'up-mode', 'rm', 'rm-missing']) expect(outcomes.get(id), id).toEqual(expect.objectContaining({ ok: true, value: { planned: true } }));
      expect(outcomes.get('exec')!.value).toEqual({ code: null, stdout: '', stderr: '', planned: true });
      for (const id of ['sc-start', 'sc-enable', 'sc-restart', 'sc-stop-inactive', 'sc-reload', 'sc-stop-active']) {
        const value = outcomes.get(id)!.value;
        expect(value, id).toMatchObject({ planned: true, code: null });
        expect(value, id).not.toHaveProperty('active');
        expect(value, id).not.toHaveProperty('enabled');
      }
    });

    it('reads work in check mode and see the unchanged target', () => {
      expect(outcomes.get('read-dl')).toMatchObject({ ok: true, value: 'line1\nline2\nline3\n' });
      expect(outcomes.get('read-active')).toMatchObject({ ok: true, value: { active: 'inactive', planned: false } });
    });

    it.each(['denied-upload', 'denied-link-upload', 'denied-exec', 'denied-sc', 'denied-verb'])('%s is still a denial', (id) => {
      expect(outcomes.get(id)).toMatchObject({ ok: false, code: 'PermissionDenied' });
    });

    it('the plan lists every mutating call once, and nothing denied or read', () => {
      const plan = run.json.plan as { capability: string; call: string; target: string; summary: string; changes: boolean; diff?: string }[];
      const find = (call: string, target: string) => plan.filter((entry) => entry.call === call && entry.target === target);
      expect(find('servers.upload', 'bypass:/srv/check/new.txt')).toHaveLength(1);
      expect(find('servers.upload', 'bypass:/srv/check/existing.txt')).toHaveLength(1);
      expect(find('servers.upload', 'bypass:/srv/check/same.txt')).toHaveLength(1);
      expect(find('servers.upload', 'bypass:/srv/check/mode.txt')).toHaveLength(1);
      expect(find('servers.remove', 'bypass:/srv/check/doomed.txt')).toHaveLength(1);
      expect(find('servers.remove', 'bypass:/srv/check/never.txt')).toHaveLength(1);
      expect(plan.filter((entry) => entry.call === 'servers.exec')).toHaveLength(1);
      expect(plan.find((entry) => entry.call === 'servers.exec')!.target).toMatch(/\/usr\/bin\/touch.*\/tmp\/marker/);
      for (const verb of ['start', 'enable', 'restart', 'stop']) expect(find(`systemctl ${verb}`, 'bypass: check-unit.service'), verb).toHaveLength(1);
      expect(find('systemctl stop', 'bypass: active-unit.service')).toHaveLength(1);
      expect(plan.filter((entry) => entry.call === 'systemctl daemon-reload')).toHaveLength(1);
      expect(plan.filter((entry) => /secret|other\.service|\/bin\/sh|mask|\/srv\/check\/link-out$/.test(`${entry.call} ${entry.target}`))).toEqual([]);
      const newline = plan.filter((entry) => entry.target.includes('link-out'));
      expect(plan).toHaveLength(13 + newline.length);
      expect(run.json.changed).toBe(true);
    });

    it('the plan carries a diff for the changed file, no change for the same bytes, the unit\'s current state', () => {
      const plan = run.json.plan as { call: string; target: string; summary: string; changes: boolean; diff?: string }[];
      const entry = (call: string, target: string) => plan.find((candidate) => candidate.call === call && candidate.target === target)!;
      const changed = entry('servers.upload', 'bypass:/srv/check/existing.txt');
      expect(changed.changes).toBe(true);
      expect(changed.diff).toMatch(/^-line2$/m);
      expect(changed.diff).toMatch(/^\+LINE2$/m);
      expect(changed.diff).toMatch(/^ line1$/m);
      expect(entry('servers.upload', 'bypass:/srv/check/new.txt')).toMatchObject({ changes: true, diff: expect.stringMatching(/^\+brand new$/m) });
      expect(entry('servers.upload', 'bypass:/srv/check/same.txt').changes).toBe(false);
      expect(entry('servers.upload', 'bypass:/srv/check/mode.txt')).toMatchObject({ changes: true, summary: expect.stringMatching(/600/) });
      expect(entry('servers.remove', 'bypass:/srv/check/doomed.txt').changes).toBe(true);
      expect(entry('servers.remove', 'bypass:/srv/check/never.txt').changes).toBe(false);
      expect(entry('servers.exec', plan.find((candidate) => candidate.call === 'servers.exec')!.target).changes).toBe(true);
      const start = entry('systemctl start', 'bypass: check-unit.service');
      expect(start.changes).toBe(true);
      expect(start.summary).toMatch(/inactive/);
      expect(start.summary).toMatch(/disabled/);
      expect(entry('systemctl enable', 'bypass: check-unit.service').changes).toBe(true);
      expect(entry('systemctl stop', 'bypass: check-unit.service').changes).toBe(false);
      expect(entry('systemctl stop', 'bypass: active-unit.service')).toMatchObject({ changes: true, summary: expect.stringMatching(/active, enabled/) });
    });

    it('no plan, result or log shows what a link out of the root points to', () => {
      expect(run.stdout).not.toContain(SECRET);
      expect(run.stderr).not.toContain(SECRET);
      const newline = outcomes.get('newline-link-upload')!;
      if (!newline.ok) expect(['PermissionDenied', 'HostCallFailed']).toContain(newline.code);
    });
  });

  describe('`changed` is derived by the host from the target\'s state', () => {
    let ext: TempExtension;
    const grant = ['--allow-server', 'bypass', '--allow-remote-read', '/srv/check', '--allow-remote-write', '/srv/check', '--allow-systemctl', 'active-unit.service'];

    beforeAll(async () => {
      ext = await createTempExtension({
        manifestExtra: `[permissions]\nservers = ["bypass"]\nremote_read = ["/srv/check"]\nremote_write = ["/srv/check"]\nsystemctl = ["active-unit.service"]\n`,
        source: SOURCE,
      });
    });
    afterAll(async () => {
      await ext?.cleanup();
    });

    it('identical bytes, start of an active unit, enable of an enabled one, remove of a missing file: changed false, nothing touched', async () => {
      const before = await remoteSnapshot(target, ['/srv/check']);
      const attempts: Attempt[] = [
        { id: 'same', call: 'servers.upload', args: ['bypass', '/srv/check/same.txt', 'same\n'] },
        { id: 'start-active', call: 'systemctl', args: ['start', 'active-unit.service'] },
        { id: 'enable-enabled', call: 'systemctl', args: ['enable', 'active-unit.service'] },
        { id: 'remove-missing', call: 'servers.remove', args: ['bypass', '/srv/check/never.txt'] },
        { id: 'is-active', call: 'systemctl', args: ['is-active', 'active-unit.service'] },
      ];
      const run = await prov(['run', ext.dir, 'list-servers', '--server', 'bypass', '--json', '--no-prompt', '--input', JSON.stringify({ attempts }), ...grant]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const outcomes = byId(run);
      for (const { id } of attempts) expect(outcomes.get(id), id).toMatchObject({ ok: true, value: { planned: false } });
      expect(outcomes.get('start-active')!.value).toMatchObject({ active: 'active', enabled: 'enabled', code: 0 });
      expect(run.json.changed).toBe(false);
      expect(await remoteSnapshot(target, ['/srv/check'])).toEqual(before);
      // start of an active oneshot with RemainAfterExit does not run it again
      expect(await tmpEntries(target)).not.toContain('active-unit-started');
    });

    it('stop of the active unit: changed true, and the unit is inactive on the target', async () => {
      const attempts: Attempt[] = [{ id: 'stop', call: 'systemctl', args: ['stop', 'active-unit.service'] }];
      const run = await prov(['run', ext.dir, 'list-servers', '--server', 'bypass', '--json', '--no-prompt', '--input', JSON.stringify({ attempts }), ...grant]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(byId(run).get('stop')).toMatchObject({ ok: true, value: { verb: 'stop', unit: 'active-unit.service', active: 'inactive', planned: false } });
      expect(run.json.changed).toBe(true);
      expect(await unitState(target, 'active-unit.service')).toEqual({ active: 'inactive', enabled: 'enabled' });
    });
  });
});
