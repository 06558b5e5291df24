/**
 * `ctx.servers`: the operator's inventory, and commands and files on the
 * servers in it that the operator granted (`[permissions] servers`). The
 * server named `local` is the machine prov runs on; exec and upload there run
 * as the operator.
 */

/** A server as `ctx.servers.list/get` show it (no keys, no secrets). */
export interface InventoryServer {
  name: string;
  host: string;
  port: number;
  user: string;
  tags: string[];
}

export interface ExecOptions {
  /** Text written to the program's standard input. */
  stdin?: string;
  /** Milliseconds; never past the operation's deadline. */
  timeout?: number;
}

/** What a program did: under `--check` it was not run, only planned. */
export interface ExecResult {
  /** Exit status (null when it was ended by a signal or the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  planned: boolean;
}

export interface UploadOptions {
  /** Permission bits (default 0o644 for a new file; an existing file keeps its own unless given). */
  mode?: number;
}

/**
 * @example
 * // metadata.toml: servers = ["tag:web"], exec = ["/usr/bin/systemd-analyze"],
 * //                remote_write = ["/etc/systemd/system/demo.service"]
 * const server = ctx.target!.name;
 * await ctx.servers.upload(server, '/etc/systemd/system/demo.service', unitText);
 * const { code, stdout } = await ctx.servers.exec(server, ['/usr/bin/systemd-analyze', 'verify', 'demo.service']);
 */
export interface Servers {
  /** The granted servers of the inventory. */
  list(): Promise<InventoryServer[]>;
  get(name: string): Promise<InventoryServer>;
  /** Runs `argv[0]` (an absolute path in `[permissions] exec`) with exactly these arguments: no shell, no env, no cwd. */
  exec(server: string, argv: string[], options?: ExecOptions): Promise<ExecResult>;
  /**
   * Writes a file on the server atomically, under `[permissions] remote_write`.
   * `changed` (real runs only) says whether the bytes or mode differed: reload
   * a service only when its file changed.
   */
  upload(server: string, path: string, content: string, options?: UploadOptions): Promise<{ planned: boolean; changed?: boolean }>;
  /** Reads a file on the server, under `[permissions] remote_read`. */
  download(server: string, path: string): Promise<string>;
  /** Removes a file on the server, under `[permissions] remote_write`. */
  remove(server: string, path: string): Promise<{ planned: boolean }>;
  /** Makes a directory (and missing parents below the granted root), under `[permissions] remote_write`. */
  mkdir(server: string, path: string, options?: { mode?: number }): Promise<{ planned: boolean }>;
  /** Removes an empty directory, under `[permissions] remote_write`. */
  rmdir(server: string, path: string): Promise<{ planned: boolean }>;
}
