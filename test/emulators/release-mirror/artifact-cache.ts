/**
 * Builds the release mirror's files once, outside any test's time (CI runs
 * `npm run artifacts`): downloads the pinned .debs from Debian's archive,
 * checks their sha256, takes the binaries out (dpkg-deb) and packs them into
 * tarballs shaped like the upstream GitHub releases, each with its checksum
 * file. Everything is built in a temp directory and renamed into place, so a
 * killed build never leaves a half-made cache that a later run would trust.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { DEBIAN_ARCHIVE, RELEASES, releasePath, type DebianPackage, type ReleaseArtifact } from './release-catalog.ts';

const run = promisify(execFile);

export const ARTIFACTS_DIR = path.join(process.env['PROV_TARGET_BASE'] ?? '/var/tmp/prov-target', 'artifacts');

/** The directory for this catalogue: a change to it (a version, a layout) makes a new one. */
function releasesDir(): string {
  const key = createHash('sha256').update(`${JSON.stringify(RELEASES)} v1`).digest('hex').slice(0, 12);
  return path.join(ARTIFACTS_DIR, `releases-${key}`);
}

/** The mirror's root (files under `<owner>/<repo>/releases/download/v<version>/`), built if missing. */
export async function ensureArtifacts(log: (line: string) => void = () => undefined): Promise<string> {
  const root = releasesDir();
  if (existsSync(path.join(root, '.prov-ready'))) return root;
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const building = await mkdtemp(path.join(ARTIFACTS_DIR, '.building-'));
  try {
    for (const artifact of RELEASES) {
      const deb = await ensureDeb(artifact.deb, log);
      await packRelease(artifact, deb, building);
      log(`packed ${artifact.repository} v${artifact.version} (${artifact.tarball}) from ${path.basename(artifact.deb.path)}`);
    }
    await writeFile(path.join(building, '.prov-ready'), new Date().toISOString());
    await rename(building, root).catch(async (error: NodeJS.ErrnoException) => {
      // Another process finished first: its copy is as good as ours.
      if (!existsSync(path.join(root, '.prov-ready'))) throw error;
    });
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  return root;
}

/** One .deb in the cache (kept across catalogue changes), downloaded and checked if missing. */
async function ensureDeb(deb: DebianPackage, log: (line: string) => void): Promise<string> {
  const dir = path.join(ARTIFACTS_DIR, 'debs');
  const file = path.join(dir, path.basename(deb.path));
  if (existsSync(file) && sha256(await readFile(file)) === deb.sha256) return file;
  await mkdir(dir, { recursive: true });
  const url = `${DEBIAN_ARCHIVE}/${deb.path}`;
  log(`downloading ${url}`);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  const data = Buffer.from(await response.arrayBuffer());
  const actual = sha256(data);
  if (actual !== deb.sha256) throw new Error(`${url}: sha256 ${actual}, expected ${deb.sha256} (the pinned package of ${deb.debianVersion})`);
  // Written beside it, then renamed: a killed download never leaves a file that looks whole.
  const partial = `${file}.part-${process.pid}`;
  await writeFile(partial, data);
  await rename(partial, file);
  return file;
}

/** The release tarball and its checksum file, under `root`, at the path upstream's release has. */
async function packRelease(artifact: ReleaseArtifact, deb: string, root: string): Promise<void> {
  const work = await mkdtemp(path.join(root, '.pack-'));
  try {
    const unpacked = path.join(work, 'deb');
    const stage = path.join(work, 'stage');
    await run('dpkg-deb', ['-x', deb, unpacked]);
    for (const member of artifact.members) {
      await mkdir(path.dirname(path.join(stage, member.to)), { recursive: true });
      await run('install', ['-m', '0755', path.join(unpacked, member.from), path.join(stage, member.to)]);
    }
    const tops = [...new Set(artifact.members.map((member) => member.to.split('/')[0]!))];
    // Owner root, a fixed mtime and sorted names: the same bits on every rebuild.
    const { stdout } = await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-cf', '-', '-C', stage, ...tops], {
      encoding: 'buffer',
      maxBuffer: 512 * 1024 * 1024,
    });
    const tarball = gzipSync(stdout);
    const target = path.join(root, path.dirname(releasePath(artifact, artifact.tarball)));
    await mkdir(target, { recursive: true });
    await writeFile(path.join(target, artifact.tarball), tarball);
    await writeFile(path.join(target, artifact.checksumFile), `${sha256(tarball)}  ${artifact.tarball}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
