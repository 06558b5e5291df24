import { constants, lstatSync } from 'node:fs';
import { lstat, mkdir, open, opendir, rename, rm, rmdir, stat, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { PlainValue } from '../../../runtime/data/plain-data.js';
import { ProvError } from '../../../runtime/errors/index.js';
import type { CallRecord, Capability, HostCallContext } from '../../capability.js';
import { malformed, refused } from '../../grants/permission-denied.js';
import { checkPath, confirmOpened, type CheckedPath } from './checked-path.js';
import { planFileWrite } from './file-plan.js';
import { fsReadPermission, fsWritePermission, isWithin } from './fs-permissions.js';
import { hostCallFailed } from '../host-call-failed.js';
import { takeMode, takeOptions } from '../take-options.js';

/** Largest file `readFile` returns and `writeFile` writes (the payload cap also applies). */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;
/** Most entries `readDir` returns. */
export const MAX_DIR_ENTRIES = 10_000;

type FileType = 'file' | 'directory' | 'symlink' | 'other';

function typeOf(entry: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): FileType {
  if (entry.isFile()) return 'file';
  if (entry.isDirectory()) return 'directory';
  if (entry.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** What a special file is, for a message. */
function kindOf(info: import('node:fs').Stats): string {
  if (info.isFIFO()) return 'FIFO';
  if (info.isSocket()) return 'socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'device';
  return typeOf(info);
}

/**
 * Opens a checked regular file for reading without following a last link,
 * without blocking on a FIFO, and refuses what is not a plain file: a
 * device, a FIFO, a socket, or a file with a second hard link (which may be
 * a file outside every root).
 */
async function openRegular(target: CheckedPath, call: HostCallContext, record: CallRecord): Promise<{ handle: FileHandle; size: number }> {
  // A socket cannot even be opened (ENXIO): say what it is instead.
  const kind = lstatSync(target.real, { throwIfNoEntry: false });
  if (kind !== undefined && !kind.isFile()) throw malformed(fsReadPermission, `${target.lexical} is a ${kindOf(kind)}, not a regular file`);
  const handle = await open(target.real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw malformed(fsReadPermission, `${target.lexical} is a ${kindOf(info)}, not a regular file`);
    if (info.nlink > 1) {
      throw malformed(fsReadPermission, `${target.lexical} has ${info.nlink} hard links; prov does not read hard-linked files (one of the names may be outside every root)`);
    }
    await confirmOpened(handle.fd, target, call, record);
    return { handle, size: info.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The current bytes of a checked file, or why they cannot be read. */
export async function readCurrent(target: CheckedPath, call: HostCallContext, record: CallRecord): Promise<Buffer> {
  const { handle, size } = await openRegular(target, call, record);
  try {
    if (size > MAX_FILE_BYTES) {
      throw new ProvError('LimitExceeded', `fs.readFile: ${target.lexical} has ${size} bytes, more than ${MAX_FILE_BYTES}`);
    }
    call.reserve(size);
    const data = Buffer.alloc(size);
    let offset = 0;
    while (offset < size) {
      const { bytesRead } = await handle.read(data, offset, size - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    return data.subarray(0, offset);
  } finally {
    await handle.close();
  }
}

async function existing(file: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function encodingOf(options: Record<string, PlainValue>, call: string): BufferEncoding {
  const encoding = options['encoding'] ?? 'utf8';
  if (encoding !== 'utf8' && encoding !== 'base64') throw malformed(fsReadPermission, `${call}: encoding must be "utf8" or "base64"`);
  return encoding;
}

async function readFileCall([file, rawOptions]: PlainValue[], call: HostCallContext, record: CallRecord): Promise<PlainValue> {
  const options = takeOptions(rawOptions, ['encoding'], 'fs.readFile', fsReadPermission);
  const encoding = encodingOf(options, 'fs.readFile');
  const target = await checkPath(file, 'read', call, record);
  const data = await guard(target, () => readCurrent(target, call, record));
  record.bytesIn = data.length;
  return data.toString(encoding);
}

async function writeFileCall([file, content, rawOptions]: PlainValue[], call: HostCallContext, record: CallRecord): Promise<PlainValue> {
  const options = takeOptions(rawOptions, ['encoding', 'mode'], 'fs.writeFile', fsWritePermission);
  const encoding = encodingOf(options, 'fs.writeFile');
  const askedMode = takeMode(options, 'fs.writeFile', fsWritePermission);
  const mode = askedMode ?? 0o644;
  if (typeof content !== 'string') throw malformed(fsWritePermission, 'fs.writeFile: the content must be a string');
  const data = Buffer.from(content, encoding);
  if (data.length > MAX_FILE_BYTES) throw new ProvError('LimitExceeded', `fs.writeFile: ${data.length} bytes is more than ${MAX_FILE_BYTES}`);
  const target = await checkPath(file, 'write', call, record);
  record.bytesOut = data.length;
  const before = await existing(target.real);
  if (before !== undefined && !before.isFile()) {
    throw malformed(fsWritePermission, `fs.writeFile: ${target.lexical} is a ${kindOf(before)}, not a regular file`);
  }
  let current: Buffer | undefined;
  let unreadable: string | undefined;
  if (before !== undefined) {
    try {
      current = await readCurrent(target, call, record);
    } catch (error) {
      unreadable = error instanceof ProvError ? error.message : String(error);
    }
  }
  // An existing file keeps its mode unless the call asks for one: a key written with 0o600 over a 0644 file must end up 0600.
  const modeAsked = askedMode !== undefined;
  const finalMode = modeAsked || before === undefined ? mode : before.mode & 0o777;
  const modeChanges = before !== undefined && modeAsked && (before.mode & 0o777) !== mode;
  const changes = current === undefined || !current.equals(data) || modeChanges;
  if (call.check) {
    record.planned = true;
    record.changed = changes;
    const entry = planFileWrite(target.lexical, current, unreadable, data, encoding, before === undefined);
    call.effects.planned(modeChanges && current?.equals(data) ? { ...entry, summary: `change mode to ${mode.toString(8)}`, changes: true } : entry);
    return { planned: true };
  }
  if (changes) await guard(target, () => writeAtomic(target, data, finalMode, call, record));
  // Reported only once done: a write that failed changed nothing.
  record.changed = changes;
  call.effects.performed(changes);
  return { planned: false };
}

/** Temp file beside the target (created exclusively, never through a link), then rename over it. */
async function writeAtomic(target: CheckedPath, data: Buffer, mode: number, call: HostCallContext, record: CallRecord): Promise<void> {
  const temp = path.join(path.dirname(target.real), `.${path.basename(target.real)}.${randomBytes(6).toString('hex')}.prov-tmp`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode & 0o777);
  try {
    await confirmOpened(handle.fd, target, call, record);
    await handle.chmod(mode & 0o777); // the process umask must not loosen or tighten what was asked
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    await rename(temp, target.real);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}

async function readDirCall([dir]: PlainValue[], call: HostCallContext, record: CallRecord): Promise<PlainValue> {
  const target = await checkPath(dir, 'read', call, record);
  return guard(target, async () => {
    const entries: PlainValue[] = [];
    for await (const entry of await opendir(target.real)) {
      if (entries.length >= MAX_DIR_ENTRIES) throw new ProvError('LimitExceeded', `fs.readDir: ${target.lexical} has more than ${MAX_DIR_ENTRIES} entries`);
      entries.push({ name: entry.name, type: typeOf(entry) });
    }
    return entries;
  });
}

async function statCall([file]: PlainValue[], call: HostCallContext, record: CallRecord): Promise<PlainValue> {
  const target = await checkPath(file, 'read', call, record);
  return guard(target, async () => {
    const info = await stat(target.real);
    return { type: typeOf(info), size: info.size, mode: info.mode & 0o7777, mtimeMs: info.mtimeMs };
  });
}

async function existsCall([file]: PlainValue[], call: HostCallContext, record: CallRecord): Promise<PlainValue> {
  const target = await checkPath(file, 'read', call, record);
  try {
    lstatSync(target.real); // a stat never blocks on what it looks at; no thread-pool hop for the commonest check
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw hostCallFailed(error, target.lexical);
  }
}

async function mkdirCall([dir, rawOptions]: PlainValue[], call: HostCallContext, record: CallRecord): Promise<PlainValue> {
  const options = takeOptions(rawOptions, ['recursive'], 'fs.mkdir', fsWritePermission);
  const target = await checkPath(dir, 'write', call, record);
  const before = await existing(target.real);
  if (before !== undefined && !before.isDirectory()) throw malformed(fsWritePermission, `fs.mkdir: ${target.lexical} exists and is a ${typeOf(before)}`);
  const changes = before === undefined;
  record.changed = changes;
  if (call.check) {
    record.planned = true;
    call.effects.planned({ capability: 'fs', call: 'fs.mkdir', target: target.lexical, summary: changes ? 'create directory' : 'directory exists: no change', changes });
    return { planned: true };
  }
  if (changes) await guard(target, () => mkdir(target.real, { recursive: options['recursive'] === true }));
  call.effects.performed(changes);
  return { planned: false };
}

async function removeCall([file, rawOptions]: PlainValue[], call: HostCallContext, record: CallRecord): Promise<PlainValue> {
  const options = takeOptions(rawOptions, ['recursive'], 'fs.remove', fsWritePermission);
  const target = await checkPath(file, 'write', call, record, 'link');
  if (target.real === target.root) throw malformed(fsWritePermission, `fs.remove: ${target.lexical} is a granted root; prov does not remove a root itself`);
  if ((call.grant.reserved ?? []).some((reserved) => isWithin(target.real, reserved))) {
    throw refused(fsWritePermission, `fs.remove: ${target.lexical} holds prov's own state ($PROV_HOME, the secrets or policy file); no extension removes it`);
  }
  const before = await existing(target.real);
  const changes = before !== undefined;
  record.changed = changes;
  if (call.check) {
    record.planned = true;
    const what = before === undefined ? 'does not exist: no change' : `remove ${typeOf(before)}${before.isDirectory() && options['recursive'] === true ? ' and everything in it' : ''}`;
    call.effects.planned({ capability: 'fs', call: 'fs.remove', target: target.lexical, summary: what, changes });
    return { planned: true };
  }
  if (before === undefined) return { planned: false };
  await guard(target, async () => {
    if (before.isDirectory()) {
      if (options['recursive'] === true) await rm(target.real, { recursive: true });
      else await rmdir(target.real);
    } else {
      await rm(target.real);
    }
  });
  call.effects.performed(changes);
  return { planned: false };
}

/** Node's fs errors become HostCallFailed with the errno (ENOENT, EISDIR, …) as the guest's `reason`. */
async function guard<T>(target: CheckedPath, task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (error) {
    if (error instanceof ProvError) throw error;
    throw hostCallFailed(error, target.lexical);
  }
}

/** `ctx.fs.*`: files under the granted roots, read and write granted separately. */
export const fsCapability = {
  name: 'fs',
  alwaysGranted: false,
  permissions: [fsReadPermission, fsWritePermission],
  calls: {
    'fs.readFile': readFileCall,
    'fs.writeFile': writeFileCall,
    'fs.readDir': readDirCall,
    'fs.stat': statCall,
    'fs.exists': existsCall,
    'fs.mkdir': mkdirCall,
    'fs.remove': removeCall,
  },
} satisfies Capability;
