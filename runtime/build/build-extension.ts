import path from 'node:path';
import { readManifest } from '../manifest/read-manifest.js';
import { writeFileAtomic } from '../state/atomic-write.js';
import { bundleExtension } from './bundle-extension.js';

export interface BuildResult {
  name: string;
  version: string;
  outfile: string;
  sourceMap: string;
  bytes: number;
  sha256: string;
}

/** `prov build`: bundles the extension and writes dist/extension.js with its source map. */
export async function buildExtension(extensionDir: string): Promise<BuildResult> {
  const dir = path.resolve(extensionDir);
  const { manifest } = await readManifest(dir);
  const bundle = await bundleExtension(dir, manifest.extension.name);
  const sourceMap = `${bundle.outfile}.map`;
  await writeFileAtomic(bundle.outfile, `${bundle.code}//# sourceMappingURL=${path.basename(sourceMap)}\n`);
  await writeFileAtomic(sourceMap, bundle.sourceMapJson);
  return {
    name: manifest.extension.name,
    version: manifest.extension.version,
    outfile: bundle.outfile,
    sourceMap,
    bytes: Buffer.byteLength(bundle.code),
    sha256: bundle.sha256,
  };
}
