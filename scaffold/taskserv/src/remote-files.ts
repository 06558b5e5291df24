import type { ProvContext } from 'prov/sdk';

/** The host's error for a file that is not there, as opposed to a denial or a broken connection. */
function isMissingFile(error: unknown): boolean {
  const { code, reason } = (error ?? {}) as { code?: unknown; reason?: unknown };
  return code === 'HostCallFailed' && reason === 'ENOENT';
}

/** A file's text on the server, or null when it does not exist. Any other failure (a denial included) is thrown. */
export async function readRemote(ctx: ProvContext, server: string, path: string): Promise<string | null> {
  try {
    return await ctx.servers.download(server, path);
  } catch (error) {
    if (isMissingFile(error)) return null;
    throw error;
  }
}

/** Removes a directory if it is empty; true when it was removed (or planned), false when something else is still in it. */
export async function removeDirIfEmpty(ctx: ProvContext, server: string, dir: string): Promise<boolean> {
  try {
    await ctx.servers.rmdir(server, dir);
    return true;
  } catch (error) {
    if ((error as { reason?: unknown }).reason === 'ENOTEMPTY') return false;
    throw error;
  }
}
