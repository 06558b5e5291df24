import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../package-root.js';

export type GuestScriptName = 'prelude' | 'describe';

const loaded = new Map<GuestScriptName, string>();

/** The bundled guest code (dist/guest/<name>.js, built by `npm run build`). */
export function guestScript(name: GuestScriptName): string {
  let code = loaded.get(name);
  if (code === undefined) {
    const file = path.join(packageRoot(), 'dist', 'guest', `${name}.js`);
    try {
      code = readFileSync(file, 'utf8');
    } catch {
      throw new Error(`prov is not built: ${file} is missing (run "npm run build")`);
    }
    loaded.set(name, code);
  }
  return code;
}
