import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProvError } from '../../../runtime/errors/index.js';
import type { ServerRecord } from '../../../runtime/inventory/server-record.js';

/** Largest stdout or stderr kept from one program. */
export const MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

export interface RunOptions {
  stdin?: string | Buffer;
  timeoutMs: number;
  signal: AbortSignal;
  /** Counts output bytes against the operation's limit as they arrive. */
  reserve: (bytes: number) => void;
}

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: Buffer;
}

/** How prov reaches one server: a child process locally, OpenSSH remotely. */
export interface ServerTransport {
  /** Runs exactly `argv` (argv[0] a program path): no shell locally; over SSH every word is quoted. */
  run(argv: readonly string[], options: RunOptions): Promise<RunResult>;
}

/**
 * One word for a POSIX shell: the far side of SSH always runs the account's
 * shell on the command line it gets, so each argument travels in single
 * quotes (a `'` as `'\''`). NUL cannot be carried at all and is refused
 * before this.
 */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The machine prov runs on: the program is started directly, with PATH only, in `/`. */
export class LocalTransport implements ServerTransport {
  run(argv: readonly string[], options: RunOptions): Promise<RunResult> {
    const child = spawn(argv[0]!, argv.slice(1), { shell: false, cwd: '/', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, stdio: ['pipe', 'pipe', 'pipe'] });
    return collect(child, options, argv[0]!);
  }
}

/** What ssh needs from the operator's environment: the sandbox host process has none of its own. */
export interface SshEnvironment {
  home: string;
  authSock?: string;
}

/**
 * OpenSSH, so the operator's ~/.ssh/config (ProxyJump, agent, ciphers) is
 * honoured, with one multiplexed master connection per server for the
 * length of a run (ControlMaster; a handshake costs 0.3–1.3 s here, a call
 * over the master a few ms). Host keys: only the pinned ones, strictly.
 */
export class SshTransport implements ServerTransport {
  readonly #args: string[];
  readonly #env: NodeJS.ProcessEnv;

  constructor(
    private readonly server: ServerRecord,
    controlDir: string,
    environment: SshEnvironment,
  ) {
    const knownHosts = path.join(controlDir, `known_hosts-${server.name}`);
    const hostName = server.port === 22 ? server.host : `[${server.host}]:${server.port}`;
    writeFileSync(knownHosts, server.hostKeys.map((key) => `${hostName} ${key}\n`).join(''), { mode: 0o600 });
    this.#args = [
      '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=yes',
      '-o', `UserKnownHostsFile=${knownHosts}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'UpdateHostKeys=no',
      '-o', 'ControlMaster=auto',
      '-o', `ControlPath=${path.join(controlDir, '%C')}`,
      '-o', 'ControlPersist=60',
      '-o', 'ConnectTimeout=10',
      '-o', 'LogLevel=ERROR',
      '-o', 'ForwardAgent=no',
      '-o', 'ClearAllForwardings=yes',
      '-p', String(server.port),
      '-l', server.user,
      ...(server.identity === null ? [] : ['-i', server.identity, '-o', 'IdentitiesOnly=yes']),
    ];
    this.#env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: environment.home, ...(environment.authSock === undefined ? {} : { SSH_AUTH_SOCK: environment.authSock }) };
  }

  #quotingChecked: Promise<void> | undefined;

  async run(argv: readonly string[], options: RunOptions): Promise<RunResult> {
    this.#quotingChecked ??= this.#checkQuoting(options);
    await this.#quotingChecked;
    return this.#send(argv, options);
  }

  /**
   * Once per server and run: the account's login shell must take POSIX
   * single quotes (fish, for one, reads `\'` inside them as an escape, and
   * the next word would run as a command).
   */
  async #checkQuoting(options: RunOptions): Promise<void> {
    const words = ['a\\', "b'c", '$x;`y`'];
    const result = await this.#send(['printf', '%s|', ...words], options);
    if (result.stdout.toString('utf8') !== `${words.join('|')}|`) {
      this.#quotingChecked = undefined;
      throw new ProvError('HostCallFailed', `The login shell of ${this.server.user} on ${this.server.name} does not read POSIX quoting; prov sends it no commands`, {
        hint: 'Give the account a POSIX shell (sh, bash, dash, zsh), or use another account (prov server add … --user).',
        details: { reason: 'ESHELL' },
      });
    }
  }

  #send(argv: readonly string[], options: RunOptions): Promise<RunResult> {
    // The far side ends the program at the deadline itself: killing this client does not reach it (with a
    // master connection, not even its pipes close).
    const seconds = Math.max(1, Math.ceil(options.timeoutMs / 1000));
    const command = ['/usr/bin/timeout', '-k', '5', String(seconds), ...argv].map(shellQuote).join(' ');
    const child = spawn('ssh', [...this.#args, '--', this.server.host, command], { env: this.#env, stdio: ['pipe', 'pipe', 'pipe'] });
    return collect(child, options, `ssh ${this.server.name}`).then((result) => {
      // 255 is ssh's own failure (connection, host key): not the program's exit status.
      if (result.code === 255 && result.stdout.length === 0) {
        const why = result.stderr.toString('utf8').trim().split('\n').pop() ?? '';
        throw new ProvError('HostCallFailed', `ssh to ${this.server.name} (${this.server.host}:${this.server.port}) failed: ${why}`, {
          hint: /host key/i.test(why) ? 'The server\'s host key is not the pinned one: if it really changed, remove and add the server again.' : 'Check that the server is up and the key is accepted.',
          details: { reason: /host key/i.test(why) ? 'EHOSTKEY' : 'ESSH' },
        });
      }
      return result;
    });
  }

  /** Ends the master connection (ControlPersist would keep it a minute more). */
  close(): void {
    spawnSync('ssh', [...this.#args, '-O', 'exit', '--', this.server.host], { env: this.#env, stdio: 'ignore', timeout: 5_000 });
  }
}

/** Reads a child's output (capped), feeds its stdin, ends it on timeout or abort. */
function collect(child: ChildProcess, options: RunOptions, what: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let failure: ProvError | undefined;
    const stop = (error: ProvError) => {
      failure ??= error;
      child.kill('SIGKILL');
      // Over a master connection the pipes outlive the client: let go of them so the call ends now.
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.stdin?.destroy();
    };
    const take = (chunks: Buffer[], chunk: Buffer, size: number): number => {
      try {
        options.reserve(chunk.length);
      } catch (error) {
        stop(error as ProvError);
        return size;
      }
      if (size + chunk.length > MAX_OUTPUT_BYTES) stop(new ProvError('LimitExceeded', `${what}: more than ${MAX_OUTPUT_BYTES} bytes of output`));
      else chunks.push(chunk);
      return size + chunk.length;
    };
    child.stdout!.on('data', (chunk: Buffer) => (outBytes = take(out, chunk, outBytes)));
    child.stderr!.on('data', (chunk: Buffer) => (errBytes = take(err, chunk, errBytes)));
    const timer = setTimeout(() => stop(new ProvError('HostCallFailed', `${what}: no answer within ${options.timeoutMs} ms`, { details: { reason: 'ETIMEDOUT' } })), options.timeoutMs);
    const onAbort = () => stop(new ProvError('Cancelled', `${what}: cancelled, the operation ended`));
    options.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => stop(new ProvError('HostCallFailed', `${what}: ${(error as Error).message}`, { details: { reason: (error as NodeJS.ErrnoException).code ?? 'EIO' } })));
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      if (failure !== undefined) reject(failure);
      else resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
    child.stdin!.on('error', () => undefined); // a program that does not read its input
    child.stdin!.end(options.stdin ?? '');
  });
}

/**
 * The servers an extension was granted, and how to reach each: what the
 * servers and systemctl capabilities share. Master connections are closed
 * with `close()` when the sandbox goes.
 */
export class ServerAccess {
  readonly #servers: ReadonlyMap<string, ServerRecord>;
  readonly #transports = new Map<string, ServerTransport>();
  #controlDir: string | undefined;

  constructor(
    servers: readonly ServerRecord[],
    private readonly environment: SshEnvironment,
  ) {
    this.#servers = new Map(servers.map((server) => [server.name, server]));
  }

  get servers(): ServerRecord[] {
    return [...this.#servers.values()];
  }

  server(name: string): ServerRecord | undefined {
    return this.#servers.get(name);
  }

  transport(name: string): ServerTransport {
    let transport = this.#transports.get(name);
    if (transport === undefined) {
      const server = this.#servers.get(name)!;
      if (server.name === 'local') transport = new LocalTransport();
      else {
        // ssh would refuse it too (strict checking, an empty known_hosts), in words about a host key; this says why and what to do.
        if (server.hostKeys.length === 0) {
          throw new ProvError('HostCallFailed', `${server.name} has no pinned SSH host key: prov does not connect to it`, {
            hint: `Pin one: prov server remove ${server.name}, then prov server add ${server.name} --host ${server.host} --port ${server.port} --user ${server.user} (first contact, or --known-hosts FILE).`,
          });
        }
        this.#controlDir ??= mkdtempSync(path.join(os.tmpdir(), 'prov-ssh-'));
        transport = new SshTransport(server, this.#controlDir, this.environment);
      }
      this.#transports.set(name, transport);
    }
    return transport;
  }

  close(): void {
    for (const transport of this.#transports.values()) if (transport instanceof SshTransport) transport.close();
    this.#transports.clear();
    if (this.#controlDir !== undefined) rmSync(this.#controlDir, { recursive: true, force: true });
    this.#controlDir = undefined;
  }
}

export const NO_SERVERS = new ServerAccess([], { home: '/nonexistent' });
