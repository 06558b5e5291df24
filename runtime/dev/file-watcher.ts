/**
 * What the dev loop needs of a file watcher: a callback per changed path,
 * and a way to stop. The CLI gives it chokidar; the runtime never imports a
 * watcher itself (STYLE.md: the core is a library).
 */
export interface FileWatcher {
  close(): Promise<void>;
}

export type WatchFiles = (dir: string, onChange: (file: string) => void) => Promise<FileWatcher>;

/** Paths below an extension that are not its inputs: build output, dependencies, VCS and editor litter. */
export function isIgnoredPath(relative: string): boolean {
  const [top] = relative.split(/[\\/]/);
  if (top === 'dist' || top === 'node_modules' || top === '.git') return true;
  const base = relative.split(/[\\/]/).pop() ?? '';
  return base.endsWith('~') || base.endsWith('.swp') || base.endsWith('.swx') || base.startsWith('.#') || base === '.DS_Store' || /^\d+$/.test(base);
}
