import type { ProvContext } from 'prov/sdk';
import { BIN_DIR, BINARY, CURL, DOWNLOAD_DIR, SHA256SUM, STATE_DIR, TAR } from './layout.js';
import type { Release } from './release.js';
import { removeEmptyDir, run } from './remote-files.js';

/** What was unpacked: the tarball's checked sha256 (null under --check) and the binary. */
export interface Fetched {
  sha256: string | null;
  binaries: string[];
}

const SHA256 = /^[0-9a-f]{64}$/;
/** What the rest of the operation needs after the download: uploads, systemd, the health check. */
const RESERVE_MS = 60_000;

/**
 * Installs a release's binary the way install scripts do — curl the
 * tarball, check its sha256, `tar -C /usr/local/bin -xzf … registry` — on
 * the server itself, so the bits never pass through prov. The tarball is
 * checked before anything is unpacked: a wrong checksum, a failed download or
 * a tarball that is not a registry release leaves /usr/local/bin as it was.
 * The download directory is removed either way. `expected` is the sha256 to
 * check against; without it, the mirror's `.sha256sum` file is.
 */
export async function fetchRelease(ctx: ProvContext, server: string, release: Release, expected: string | undefined, steps: string[], fresh: boolean): Promise<Fetched> {
  const file = `${DOWNLOAD_DIR}/${release.tarball}`;
  const downloadTimeout = Math.max(10_000, ctx.deadline - Date.now() - RESERVE_MS);
  await ctx.servers.mkdir(server, STATE_DIR, { mode: 0o755 });
  await ctx.servers.mkdir(server, DOWNLOAD_DIR, { mode: 0o700 });
  let unpacked = false;
  try {
    await run(ctx, server, [CURL, '-fsSL', '--retry', '2', '--connect-timeout', '10', '-o', file, release.url], `downloading ${release.url}`, downloadTimeout);
    steps.push(`download ${release.url}`);
    const sha256 = await verify(ctx, server, release, file, expected);
    steps.push(`verify sha256 ${sha256 ?? '(planned)'}`);
    await requireBinary(ctx, server, release, file);
    // Only the binary: the tarball's LICENSE and README.md do not belong in /usr/local/bin.
    await run(ctx, server, [TAR, '-xzf', file, '-C', BIN_DIR, '--no-same-owner', BINARY], `unpacking ${release.tarball} into ${BIN_DIR}`);
    unpacked = true;
    steps.push(`unpack ${BINARY} into ${BIN_DIR}`);
    return { sha256, binaries: [BINARY] };
  } finally {
    // Under --check nothing was downloaded: there is nothing to clean up, and nothing to plan for it.
    if (!ctx.check) await cleanUp(ctx, server, file, fresh && !unpacked);
  }
}

/**
 * Removes the download and its directory, and after a failed first install
 * the state directory too, so it leaves no trace. A failure here is logged,
 * not thrown: it must not hide why the install failed.
 */
async function cleanUp(ctx: ProvContext, server: string, file: string, stateDirToo: boolean): Promise<void> {
  try {
    await ctx.servers.remove(server, file);
    await removeEmptyDir(ctx, server, DOWNLOAD_DIR);
    if (stateDirToo) await removeEmptyDir(ctx, server, STATE_DIR);
  } catch (error) {
    await ctx.log.warn(`could not clean up ${DOWNLOAD_DIR} on ${server}: ${(error as Error).message}`);
  }
}

/** The tarball's sha256, checked against `expected` or the mirror's checksum file; null when planned. */
async function verify(ctx: ProvContext, server: string, release: Release, file: string, expected: string | undefined): Promise<string | null> {
  let want = expected;
  let source = 'the sha256 input';
  if (want === undefined) {
    const sums = await run(ctx, server, [CURL, '-fsSL', '--retry', '2', '--connect-timeout', '10', release.checksumUrl], `downloading ${release.checksumUrl}`);
    source = release.checksumUrl;
    if (!sums.planned) {
      want = sums.stdout.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
      if (!SHA256.test(want)) throw new Error(`${release.checksumUrl} does not hold a sha256 (it starts ${JSON.stringify(sums.stdout.slice(0, 40))}); nothing was installed`);
    }
  }
  const summed = await run(ctx, server, [SHA256SUM, file], `checking the sha256 of ${file}`);
  if (summed.planned) return want ?? null;
  const actual = summed.stdout.trim().split(/\s+/)[0] ?? '';
  if (actual !== want) {
    throw new Error(`registry ${release.version}: ${release.tarball} from ${release.url} has sha256 ${actual}, but ${source} says ${want}; nothing was installed (the download was removed)`);
  }
  return actual;
}

/** Fails unless the tarball holds `registry` at its top (under --check the listing is planned: nothing to look at). */
async function requireBinary(ctx: ProvContext, server: string, release: Release, file: string): Promise<void> {
  const listed = await run(ctx, server, [TAR, '-tzf', file], `listing ${release.tarball}`);
  if (listed.planned) return;
  const members = new Set(listed.stdout.split('\n').map((line) => line.trim().replace(/^\.\//, '')));
  if (!members.has(BINARY)) {
    throw new Error(`${release.tarball} from ${release.url} is not a registry release: it has no ${BINARY} at its top; nothing was installed`);
  }
}
