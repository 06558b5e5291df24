/**
 * `ctx.fs`: files under the roots the operator granted (`[permissions]
 * fs_read` and `fs_write`, separately). Paths are absolute (or start with
 * `~/`, the operator's home). `..` and symbolic links are resolved before the
 * check, so neither leads out of a root; hard-linked files, devices, FIFOs and
 * `/proc`, `/sys`, `/dev` are refused. Writes are atomic.
 */

export type FileType = 'file' | 'directory' | 'symlink' | 'other';

export interface FileStat {
  type: FileType;
  size: number;
  /** Permission bits, e.g. 0o644. */
  mode: number;
  mtimeMs: number;
}

export interface DirEntry {
  name: string;
  type: FileType;
}

export interface ReadFileOptions {
  /** `utf8` (default) or `base64` for binary files. */
  encoding?: 'utf8' | 'base64';
}

export interface WriteFileOptions {
  encoding?: 'utf8' | 'base64';
  /** Permission bits (default: 0o644 for a new file; an existing file keeps its own unless a mode is given). */
  mode?: number;
}

/** A mutating call's answer: under `--check` it was not performed, only planned. */
export interface MutationResult {
  planned: boolean;
}

/**
 * @example
 * const config = '/etc/myservice/config.toml';
 * const before = (await ctx.fs.exists(config)) ? await ctx.fs.readFile(config) : '';
 * await ctx.fs.writeFile(config, render(input));   // under --check: planned, with a diff against `before`
 */
export interface FileSystem {
  readFile(path: string, options?: ReadFileOptions): Promise<string>;
  writeFile(path: string, data: string, options?: WriteFileOptions): Promise<MutationResult>;
  readDir(path: string): Promise<DirEntry[]>;
  stat(path: string): Promise<FileStat>;
  exists(path: string): Promise<boolean>;
  mkdir(path: string, options?: { recursive?: boolean }): Promise<MutationResult>;
  remove(path: string, options?: { recursive?: boolean }): Promise<MutationResult>;
}
