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

/**
 * Runs one of webdemo's own programs on the server and fails the operation
 * when it fails. Under --check it is planned, not run.
 */
export async function run(ctx: ProvContext, server: string, argv: [string, ...string[]]): Promise<void> {
  const result = await ctx.servers.exec(server, argv, { timeout: 10_000 });
  if (!result.planned && result.code !== 0) {
    throw new Error(`${argv.join(' ')} on ${server} failed with exit status ${result.code}: ${result.stderr.trim()}`);
  }
}
