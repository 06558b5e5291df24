/**
 * The release mirror: an HTTP server that serves the release files built by
 * artifact-cache.ts at the paths GitHub serves them
 * (`/<owner>/<repo>/releases/download/v<version>/<file>`). The bits are the
 * real binaries; only the host is not github.com. Knobs let a test make a
 * download slow (to kill prov in the middle of one) or fail.
 *
 * Host-network targets share the host's loopback, so the default
 * 127.0.0.1 is reachable from inside them.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ensureArtifacts } from './artifact-cache.ts';
import { RELEASES, releasePath, releasesBase, type Project } from './release-catalog.ts';

export interface ReleaseMirrorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  log?: (line: string) => void;
}

export interface ReleaseMirror {
  /** `http://HOST:PORT`. */
  origin: string;
  /**
   * What a task service's `mirror` input gets: the releases base that
   * replaces `https://github.com/<owner>/<repo>/releases/download`.
   */
  mirrorFor(project: Project): string;
  /** The versions served for a project, oldest first. */
  versions(project: Project): string[];
  /** The path (under the origin) of a version's tarball or checksum file: for failNext and `requests`. */
  pathOf(project: Project, version: string, file: 'tarball' | 'checksum'): string;
  /**
   * Every download from now on takes about `ms`: the body goes out in 64
   * slices spread over that time. `0` makes them fast again.
   */
  slow(ms: number): void;
  /** The next request for `path` answers `status` (and an empty body) instead of the file. */
  failNext(path: string, status: number): void;
  /** The paths requested so far, in order, with the status answered: `200 /containerd/…`. */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

const SLICES = 64;

/** Starts the mirror (building the artifacts first if the cache lacks them). */
export async function startReleaseMirror(options: ReleaseMirrorOptions = {}): Promise<ReleaseMirror> {
  const root = await ensureArtifacts(options.log);
  let slowMs = 0;
  const failures = new Map<string, number>();
  const requests: string[] = [];

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://mirror');
    void answer(url.pathname, request.method ?? 'GET', response).catch((error: Error) => {
      options.log?.(`release mirror: ${url.pathname}: ${error.message}`);
      response.destroy();
    });
  });

  async function answer(pathname: string, method: string, response: ServerResponse): Promise<void> {
    const failure = failures.get(pathname);
    if (failure !== undefined) {
      failures.delete(pathname);
      requests.push(`${failure} ${pathname}`);
      response.writeHead(failure, { 'content-length': '0' }).end();
      return;
    }
    const file = path.join(root, path.posix.normalize(pathname));
    const info = pathname.includes('..') ? undefined : await stat(file).catch(() => undefined);
    if (info === undefined || !info.isFile() || !file.startsWith(`${root}/`)) {
      requests.push(`404 ${pathname}`);
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    requests.push(`200 ${pathname}`);
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(info.size) });
    if (method === 'HEAD') {
      response.end();
      return;
    }
    if (slowMs === 0) {
      createReadStream(file).pipe(response);
      return;
    }
    // Throttled: fixed slices with a pause between them, so the download lasts about slowMs.
    const slice = Math.ceil(info.size / SLICES);
    const pause = slowMs / SLICES;
    const stream = createReadStream(file, { highWaterMark: slice });
    for await (const chunk of stream) {
      if (response.destroyed) break;
      response.write(chunk);
      await delay(pause);
    }
    response.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const origin = `http://${options.host ?? '127.0.0.1'}:${address.port}`;

  return {
    origin,
    mirrorFor: (project) => `${origin}${releasesBase(project)}`,
    versions: (project) => RELEASES.filter((artifact) => artifact.project === project).map((artifact) => artifact.version),
    pathOf(project, version, file) {
      const artifact = RELEASES.find((candidate) => candidate.project === project && candidate.version === version);
      if (artifact === undefined) throw new Error(`the mirror serves no ${project} ${version}`);
      return releasePath(artifact, file === 'tarball' ? artifact.tarball : artifact.checksumFile);
    },
    slow: (ms) => {
      slowMs = ms;
    },
    failNext: (pathname, status) => {
      failures.set(pathname, status);
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
