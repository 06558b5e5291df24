import { watch } from 'chokidar';
import path from 'node:path';
import { isIgnoredPath, type WatchFiles } from '../dev/file-watcher.js';

/**
 * The dev loop's watcher: chokidar on the extension directory (sources,
 * templates, manifest, tests), native events, no polling. Build output and
 * dependencies are not watched at all, so a large node_modules costs nothing.
 */
export const chokidarWatcher: WatchFiles = async (dir, onChange) => {
  const watcher = watch(dir, {
    ignoreInitial: true,
    ignored: (file: string) => {
      const relative = path.relative(dir, file);
      return relative !== '' && isIgnoredPath(relative);
    },
  });
  for (const event of ['add', 'change', 'unlink', 'addDir', 'unlinkDir'] as const) watcher.on(event, (file: string) => onChange(file));
  await new Promise<void>((resolve, reject) => {
    watcher.once('ready', resolve);
    watcher.once('error', reject);
  });
  return { close: () => watcher.close() };
};
