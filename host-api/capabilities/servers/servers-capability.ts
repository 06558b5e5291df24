import path from 'node:path';
import type { PlainValue } from '../../../runtime/data/plain-data.js';
import { ProvError } from '../../../runtime/errors/index.js';
import type { CallRecord, Capability, HostCallContext, PermissionKind } from '../../capability.js';
import { malformed, permissionDenied, refused } from '../../grants/permission-denied.js';
import { realPath } from '../../../runtime/state/real-path.js';
import { planFileWrite } from '../fs/file-plan.js';
import { isWithin } from '../fs/fs-permissions.js';
import { takeMode, takeOptions } from '../take-options.js';
import { normalizeRemotePath, remoteReadPermission, remoteWritePermission } from './remote-path.js';
import { execPermission, normalizeProgram, serverMatches, serversPermission } from './server-permissions.js';
import { MAX_OUTPUT_BYTES, type RunResult } from './server-transport.js';

const DEFAULT_TIMEOUT_MS = 60_000;

/** The granted server a call names, or the denial. */
export function checkServer(raw: unknown, call: HostCallContext, record: CallRecord): string {
  if (typeof raw !== 'string' || raw === '') throw malformed(serversPermission, 'a server must be named by a non-empty string');
  record.target = raw;
  record.server = raw;
  record.permission = { key: 'servers', value: raw };
  if (call.servers.server(raw) === undefined) {
    const asked = call.grant.requested.servers ?? [];
    if (asked.some((entry) => serverMatches(entry, { name: raw, tags: [] }))) throw permissionDenied(serversPermission, raw, call.grant, true, record);
    if (!asked.some((entry) => entry.includes('tag:'))) throw permissionDenied(serversPermission, raw, call.grant, false, record);
    // The manifest asks by tag: whether this server has the tag is the inventory's business, not the extension's.
    throw new ProvError('PermissionDenied', `Requires the server ${JSON.stringify(raw)}, which is not among the servers granted`, {
      hint: `If it should be reachable: the server must be in the inventory (prov server add), match [permissions] servers in metadata.toml (${asked.map((entry) => JSON.stringify(entry)).join(', ')}), and be granted with --allow-server ${raw}.`,
      details: { permission: 'servers', value: raw },
    });
  }
  return raw;
}

/** Runs one of prov's own fixed commands on a server (not an extension's program: no exec grant needed). */
export function runInternal(server: string, argv: string[], call: HostCallContext, stdin?: Buffer): Promise<RunResult> {
  return call.servers.transport(server).run(argv, {
    ...(stdin === undefined ? {} : { stdin }),
    timeoutMs: Math.max(1, Math.min(DEFAULT_TIMEOUT_MS, call.deadline - Date.now())),
    signal: call.signal,
    reserve: call.reserve,
  });
}

/**
 * A path on a server, checked: lexically under a granted root, and, with
 * every link resolved on the server (`realpath -m`), still under that root's
 * real path. `leaf: 'link'` resolves only the parent (remove acts on a link).
 */
async function checkRemotePath(server: string, raw: unknown, kind: PermissionKind, call: HostCallContext, record: CallRecord, leaf: 'follow' | 'link' = 'follow'): Promise<string> {
  if (typeof raw !== 'string' || raw === '') throw malformed(kind, 'a remote path must be a non-empty string');
  let lexical: string;
  try {
    lexical = normalizeRemotePath(raw);
  } catch (error) {
    throw malformed(kind, (error as Error).message);
  }
  record.target = `${server}:${lexical}`;
  record.permission = { key: kind.key, value: lexical };
  const roots = call.grant.granted[kind.key] ?? [];
  const root = roots.find((candidate) => isWithin(candidate, lexical));
  if (root === undefined) {
    const requested = (call.grant.requested[kind.key] ?? []).some((candidate) => isWithin(candidate, lexical));
    throw permissionDenied(kind, lexical, call.grant, requested, record);
  }
  const resolveOn = leaf === 'link' && lexical !== root ? path.posix.dirname(lexical) : lexical;
  // Every root the path is bounded by, on both sides of the grant: the effective root, and the manifest's and the
  // operator's roots it came from — a root that is itself a link must not lead out of the other side's root.
  const containing = (set: readonly string[] | undefined) => (set ?? []).filter((candidate) => isWithin(candidate, lexical));
  const requestedRoots = containing(call.grant.requested[kind.key]);
  const operatorRoots = call.grant.operator === undefined ? undefined : containing(call.grant.operator[kind.key]);
  const allRoots = [...new Set([root, ...requestedRoots, ...(operatorRoots ?? [])])];
  // NUL-separated answers (-z): no name can split them; exactly one per path asked, or the answer is not believed.
  const resolved = await runInternal(server, ['/usr/bin/realpath', '-m', '-z', '--', ...allRoots, resolveOn], call);
  const answers = resolved.stdout.toString('utf8').split('\0');
  const ok = resolved.code === 0 && answers.length === allRoots.length + 2 && answers.at(-1) === '' && answers.slice(0, -1).every((answer) => answer.startsWith('/'));
  if (!ok) {
    throw new ProvError('HostCallFailed', `${server}: cannot resolve ${lexical}: ${resolved.stderr.toString('utf8').trim()}`, { details: { reason: 'EREALPATH' } });
  }
  const realOf = new Map(allRoots.map((candidate, index) => [candidate, answers[index]!]));
  const realParent = answers[allRoots.length]!;
  const real = resolveOn === lexical ? realParent : path.posix.join(realParent, path.posix.basename(lexical));
  const inside = (roots: readonly string[] | undefined) => roots === undefined || roots.some((candidate) => isWithin(realOf.get(candidate)!, real));
  if (!isWithin(realOf.get(root)!, real) || !inside(requestedRoots) || !inside(operatorRoots)) throw permissionDenied(kind, real, call.grant, false, record);
  // On this machine the fs rules hold too: prov's own state and the pseudo-filesystems are out of reach.
  if (server === 'local') {
    const local = realPath(real);
    if ((call.grant.reserved ?? []).some((reserved) => isWithin(reserved, local) || isWithin(local, reserved))) {
      throw refused(kind, `${lexical} is (or holds) prov's own state ($PROV_HOME, the secrets or policy file); no extension reaches it`);
    }
    if (['/proc', '/sys', '/dev'].some((special) => isWithin(special, local))) throw refused(kind, `${lexical} is on a pseudo-filesystem (/proc, /sys, /dev)`);
  }
  return real;
}

function text(buffer: Buffer): string {
  return buffer.toString('utf8');
}

async function listCall(_args: PlainValue[], call: HostCallContext): Promise<PlainValue> {
  return call.servers.servers.map(({ name, host, port, user, tags }) => ({ name, host, port, user, tags }));
}

async function getCall([name]: PlainValue[], call: HostCallContext, record: CallRecord): Promise<PlainValue> {
  const server = call.servers.server(checkServer(name, call, record))!;
  return { name: server.name, host: server.host, port: server.port, user: server.user, tags: server.tags };
}

async function execCall([rawServer, argv, rawOptions]: PlainValue[], call: HostCallContext, record: CallRecord): Promise<PlainValue> {
  const options = takeOptions(rawOptions, ['stdin', 'timeout'], 'servers.exec', execPermission);
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((word) => typeof word === 'string')) {
    throw malformed(execPermission, 'servers.exec: argv must be a non-empty array of strings');
  }
  const words = argv as string[];
  if (words.some((word) => word.includes('\0'))) throw malformed(execPermission, 'servers.exec: an argument contains a NUL byte, which no program can receive');
  const stdin = options['stdin'];
  if (stdin !== undefined && typeof stdin !== 'string') throw malformed(execPermission, 'servers.exec: stdin must be a string');
  const timeout = options['timeout'];
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0))) throw malformed(execPermission, 'servers.exec: timeout must be a positive number of milliseconds');
  const server = checkServer(rawServer, call, record);
  let program: string;
  try {
    program = normalizeProgram(words[0]!);
  } catch (error) {
    throw malformed(execPermission, `servers.exec: ${(error as Error).message}`);
  }
  const line = [program, ...words.slice(1)].map((word) => JSON.stringify(word)).join(' ');
  record.target = `${server}: ${line}`;
  record.permission = { key: 'exec', value: program };
  if (!(call.grant.granted.exec ?? []).includes(program)) {
    throw permissionDenied(execPermission, program, call.grant, (call.grant.requested.exec ?? []).includes(program), record);
  }
  if (call.check) {
    record.planned = true;
    record.changed = true;
    call.effects.planned({ capability: 'servers', call: 'servers.exec', target: `${server}: ${line}`, summary: 'run (the host cannot know its effect: counted as a change)', changes: true });
    return { code: null, stdout: '', stderr: '', planned: true };
  }
  const result = await call.servers.transport(server).run([program, ...words.slice(1)], {
    ...(typeof stdin === 'string' ? { stdin } : {}),
    timeoutMs: Math.max(1, Math.min(typeof timeout === 'number' ? timeout : DEFAULT_TIMEOUT_MS, call.deadline - Date.now())),
    signal: call.signal,
    reserve: call.reserve,
  });
  // The host cannot know what a program changed: a run counts as a change.
  record.changed = true;
  record.bytesIn = result.stdout.length + result.stderr.length;
  call.effects.performed(true);
  return { code: result.code, stdout: text(result.stdout), stderr: text(result.stderr), planned: false };
}

/** The current bytes and mode of a remote file, or undefined when there is none. */
async function readRemote(server: string, real: string, call: HostCallContext): Promise<{ data: Buffer; mode: number } | undefined> {
  const result = await runInternal(server, ['/bin/sh', '-c', 'if [ ! -e "$1" ]; then exit 2; fi; if [ ! -f "$1" ]; then echo "not a regular file" >&2; exit 3; fi; stat -c %a -- "$1" && exec cat -- "$1"', 'sh', real], call);
  if (result.code === 2) return undefined;
  if (result.code !== 0) {
    throw new ProvError('HostCallFailed', `${server}:${real}: ${text(result.stderr).trim() || `exit ${result.code}`}`, { details: { reason: result.code === 3 ? 'ENOTREG' : 'EIO' } });
  }
  const newline = result.stdout.indexOf(10);
  return { mode: Number.parseInt(result.stdout.subarray(0, newline).toString('utf8'), 8), data: result.stdout.subarray(newline + 1) };
}

async function downloadCall([rawServer, file]: PlainValue[], call: HostCallContext, record: CallRecord): Promise<PlainValue> {
  const server = checkServer(rawServer, call, record);
  const real = await checkRemotePath(server, file, remoteReadPermission, call, record);
  const current = await readRemote(server, real, call);
  if (current === undefined) throw new ProvError('HostCallFailed', `${server}:${real}: no such file`, { details: { reason: 'ENOENT' } });
  record.bytesIn = current.data.length;
  return current.data.toString('utf8');
}

/**
 * The upload, on the server: `sh -c UPLOAD_SCRIPT sh FILE MODE BYTES` with the
 * content on stdin. Exactly BYTES bytes or nothing: a stream cut short (a
 * killed client) is never renamed into place. An existing file keeps its
 * owner and group; setuid, setgid and sticky bits never reach new content.
 */
export const UPLOAD_SCRIPT = [
  'set -e; f="$1"; m="$2"; n="$3"',
  'if [ -z "$m" ]; then m=$(stat -c %a -- "$f" 2>/dev/null || echo 644); fi',
  'm=$(printf %o $(( 0$m & 0777 )))',
  't=$(mktemp "$f.prov-XXXXXX"); trap \'rm -f -- "$t"\' EXIT',
  'head -c "$n" > "$t"',
  '[ "$(stat -c %s -- "$t")" = "$n" ] || { echo "upload cut short" >&2; exit 7; }',
  'if [ -e "$f" ]; then chown --reference="$f" -- "$t" 2>/dev/null || true; fi',
  'chmod -- "$m" "$t"; mv -f -- "$t" "$f"; trap - EXIT',
].join('\n');

async function uploadCall([rawServer, file, content, rawOptions]: PlainValue[], call: HostCallContext, record: CallRecord): Promise<PlainValue> {
  const options = takeOptions(rawOptions, ['mode'], 'servers.upload', remoteWritePermission);
  if (typeof content !== 'string') throw malformed(remoteWritePermission, 'servers.upload: the content must be a string');
  const mode = takeMode(options, 'servers.upload', remoteWritePermission);
  const data = Buffer.from(content, 'utf8');
  if (data.length > MAX_OUTPUT_BYTES) throw new ProvError('LimitExceeded', `servers.upload: ${data.length} bytes is more than ${MAX_OUTPUT_BYTES}`);
  const server = checkServer(rawServer, call, record);
  const real = await checkRemotePath(server, file, remoteWritePermission, call, record);
  record.bytesOut = data.length;
  const current = await readRemote(server, real, call);
  const modeChanges = current !== undefined && mode !== undefined && current.mode !== mode;
  const changes = current === undefined || !current.data.equals(data) || modeChanges;
  if (call.check) {
    record.planned = true;
    record.changed = changes;
    const entry = planFileWrite(`${server}:${real}`, current?.data, undefined, data, 'utf8', current === undefined);
    call.effects.planned({ ...entry, capability: 'servers', call: 'servers.upload', ...(modeChanges && !entry.changes ? { summary: `change mode to ${mode!.toString(8)}`, changes: true } : {}) });
    return { planned: true };
  }
  if (changes) {
    // Written beside the target, then renamed over it: all or nothing on the server too.
    const result = await runInternal(server, ['/bin/sh', '-c', UPLOAD_SCRIPT, 'sh', real, mode === undefined ? '' : mode.toString(8), String(data.length)], call, data);
    if (result.code !== 0) throw new ProvError('HostCallFailed', `${server}:${real}: upload failed: ${text(result.stderr).trim()}`, { details: { reason: 'EIO' } });
  }
  record.changed = changes;
  call.effects.performed(changes);
  // Told, not claimed: the host compared the bytes, so an extension can reload a service only when its file changed.
  return { planned: false, changed: changes };
}

async function removeCall([rawServer, file]: PlainValue[], call: HostCallContext, record: CallRecord): Promise<PlainValue> {
  const server = checkServer(rawServer, call, record);
  const real = await checkRemotePath(server, file, remoteWritePermission, call, record, 'link');
  const probe = await runInternal(server, ['/bin/sh', '-c', 'if [ -d "$1" ] && [ ! -L "$1" ]; then echo directory; elif [ -e "$1" ] || [ -L "$1" ]; then echo file; else echo none; fi', 'sh', real], call);
  const kind = text(probe.stdout).trim();
  if (kind === 'directory') throw malformed(remoteWritePermission, `servers.remove: ${server}:${real} is a directory; remove removes files`);
  const changes = kind === 'file';
  record.changed = changes;
  if (call.check) {
    record.planned = true;
    call.effects.planned({ capability: 'servers', call: 'servers.remove', target: `${server}:${real}`, summary: changes ? 'remove file' : 'does not exist: no change', changes });
    return { planned: true };
  }
  if (changes) {
    const result = await runInternal(server, ['/bin/rm', '-f', '--', real], call);
    if (result.code !== 0) throw new ProvError('HostCallFailed', `${server}:${real}: remove failed: ${text(result.stderr).trim()}`, { details: { reason: 'EIO' } });
  }
  call.effects.performed(changes);
  return { planned: false };
}

/**
 * A directory under a remote_write root: made (with missing parents only
 * below the root's own parent, never further up), or removed when empty.
 */
async function mkdirCall([rawServer, dir, rawOptions]: PlainValue[], call: HostCallContext, record: CallRecord): Promise<PlainValue> {
  const options = takeOptions(rawOptions, ['mode'], 'servers.mkdir', remoteWritePermission);
  const askedMode = takeMode(options, 'servers.mkdir', remoteWritePermission);
  const mode = askedMode ?? 0o755;
  const server = checkServer(rawServer, call, record);
  const real = await checkRemotePath(server, dir, remoteWritePermission, call, record);
  const root = (call.grant.granted.remote_write ?? []).find((candidate) => isWithin(candidate, real)) ?? real;
  const probe = await runInternal(server, ['/bin/sh', '-c', 'if [ -d "$1" ]; then echo directory $(stat -c %a -- "$1"); elif [ -e "$1" ] || [ -L "$1" ]; then echo other; else echo none; fi', 'sh', real], call);
  const [kind, currentMode] = text(probe.stdout).trim().split(' ');
  if (kind === 'other') throw malformed(remoteWritePermission, `servers.mkdir: ${server}:${real} exists and is not a directory`);
  // An existing directory with another mode than asked gets that mode: a change.
  const changes = kind === 'none' || (askedMode !== undefined && currentMode !== mode.toString(8));
  record.changed = changes;
  if (call.check) {
    record.planned = true;
    call.effects.planned({ capability: 'servers', call: 'servers.mkdir', target: `${server}:${real}`, summary: kind === 'none' ? `create directory (mode ${mode.toString(8)})` : changes ? `change mode to ${mode.toString(8)}` : 'directory exists: no change', changes });
    return { planned: true };
  }
  if (changes) {
    // Missing parents are made only if the root's own parent exists: nothing above the grant is created.
    const script = 'set -e; [ -d "$(dirname -- "$2")" ] || { echo "the parent of $2 does not exist" >&2; exit 5; }; mkdir -p -- "$1"; chmod -- "$3" "$1"';
    const result = await runInternal(server, ['/bin/sh', '-c', script, 'sh', real, root, mode.toString(8)], call);
    if (result.code !== 0) throw new ProvError('HostCallFailed', `${server}:${real}: mkdir failed: ${text(result.stderr).trim()}`, { details: { reason: 'EIO' } });
  }
  call.effects.performed(changes);
  return { planned: false };
}

async function rmdirCall([rawServer, dir]: PlainValue[], call: HostCallContext, record: CallRecord): Promise<PlainValue> {
  const server = checkServer(rawServer, call, record);
  const real = await checkRemotePath(server, dir, remoteWritePermission, call, record, 'link');
  const probe = await runInternal(server, ['/bin/sh', '-c', 'if [ -L "$1" ]; then echo link; elif [ -d "$1" ]; then if [ -z "$(ls -A -- "$1")" ]; then echo empty; else echo full; fi; elif [ -e "$1" ]; then echo other; else echo none; fi', 'sh', real], call);
  const kind = text(probe.stdout).trim();
  if (kind === 'link' || kind === 'other') throw malformed(remoteWritePermission, `servers.rmdir: ${server}:${real} is not a directory`);
  if (kind === 'full') throw new ProvError('HostCallFailed', `servers.rmdir: ${server}:${real} is not empty`, { details: { reason: 'ENOTEMPTY' } });
  const changes = kind === 'empty';
  record.changed = changes;
  if (call.check) {
    record.planned = true;
    call.effects.planned({ capability: 'servers', call: 'servers.rmdir', target: `${server}:${real}`, summary: changes ? 'remove empty directory' : 'does not exist: no change', changes });
    return { planned: true };
  }
  if (changes) {
    const result = await runInternal(server, ['/bin/rmdir', '--', real], call);
    if (result.code !== 0) throw new ProvError('HostCallFailed', `${server}:${real}: rmdir failed: ${text(result.stderr).trim()}`, { details: { reason: 'EIO' } });
  }
  call.effects.performed(changes);
  return { planned: false };
}

/** `ctx.servers.*`: the inventory, programs and files on the granted servers. */
export const serversCapability = {
  name: 'servers',
  alwaysGranted: false,
  permissions: [serversPermission, execPermission, remoteReadPermission, remoteWritePermission],
  calls: {
    'servers.list': listCall,
    'servers.get': getCall,
    'servers.exec': execCall,
    'servers.upload': uploadCall,
    'servers.download': downloadCall,
    'servers.remove': removeCall,
    'servers.mkdir': mkdirCall,
    'servers.rmdir': rmdirCall,
  },
} satisfies Capability;
