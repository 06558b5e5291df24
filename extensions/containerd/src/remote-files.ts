import type { ExecResult, ProvContext } from 'prov/sdk';

/** The host's error for a file that is not there, as opposed to a denial or a broken connection. */
function hasReason(error: unknown, reason: string): boolean {
  const { code, reason: actual } = (error ?? {}) as { code?: unknown; reason?: unknown };
  return code === 'HostCallFailed' && actual === reason;
}

/** A file's text on the server, or null when it does not exist. Any other failure (a denial included) is thrown. */
export async function readRemote(ctx: ProvContext, server: string, path: string): Promise<string | null> {
  try {
    return await ctx.servers.download(server, path);
  } catch (error) {
    if (hasReason(error, 'ENOENT')) return null;
    throw error;
  }
}

/** Removes a directory if it is empty; true when it was (or, under --check, would be) removed. */
export async function removeEmptyDir(ctx: ProvContext, server: string, path: string): Promise<boolean> {
  return ctx.servers.rmdir(server, path).then(() => true, (error: unknown) => {
    if (hasReason(error, 'ENOTEMPTY')) return false;
    throw error;
  });
}

/**
 * Runs a program on the server and fails the operation, with `what` and the
 * program's own words, when it fails. Under --check it is planned, not run.
 */
export async function run(ctx: ProvContext, server: string, argv: [string, ...string[]], what: string, timeout = 60_000): Promise<ExecResult> {
  const result = await ctx.servers.exec(server, argv, { timeout });
  if (!result.planned && result.code !== 0) {
    const said = result.stderr.trim() || result.stdout.trim();
    throw new Error(`${what} on ${server} failed (${argv[0]} exited with ${result.code ?? 'a signal'})${said ? `: ${said}` : ''}`);
  }
  return result;
}
