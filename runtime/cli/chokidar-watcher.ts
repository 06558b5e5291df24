import { watch } from 'chokidar';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { isIgnoredPath, type WatchFiles } from '../dev/file-watcher.js';

/**
 * chokidar drops a second `change` of a path within 50 ms of the first (its
 * own throttle): an editor that saves twice in a blink (a formatter on save)
 * would leave the dev loop on the first version. So each change is looked at
 * again just after that window, and reported once more if the file moved on.
 */
const AFTER_THROTTLE_MS = 60;

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
  const seen = new Map<string, string>();
  const timers = new Set<NodeJS.Timeout>();
  const version = (file: string) => stat(file).then((stats) => `${stats.mtimeMs}:${stats.size}:${stats.ino}`, () => 'gone');
  const report = async (file: string) => {
    seen.set(file, await version(file));
    onChange(file);
    const timer = setTimeout(() => {
      timers.delete(timer);
      void version(file).then((now) => {
        if (now !== seen.get(file) && !closed) void report(file);
      });
    }, AFTER_THROTTLE_MS);
    timers.add(timer);
  };
  let closed = false;
  for (const event of ['add', 'change', 'unlink', 'addDir', 'unlinkDir'] as const) watcher.on(event, (file: string) => void report(file));
  await new Promise<void>((resolve, reject) => {
    watcher.once('ready', resolve);
    watcher.once('error', reject);
  });
  return {
    close: async () => {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      await watcher.close();
    },
  };
};
