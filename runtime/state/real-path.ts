import { realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * A path with its links resolved when it exists, else just absolute: what
 * policy bindings and reserved paths compare (a link to $PROV_HOME or to an
 * extension's directory must not get around them).
 */
export function realPath(file: string): string {
  try {
    return realpathSync.native(path.resolve(file));
  } catch {
    return path.resolve(file);
  }
}
