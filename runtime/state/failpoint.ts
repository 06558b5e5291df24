/**
 * Failpoints: named places where a test can make prov die as `kill -9`
 * would, to prove that state survives a crash at exactly that place (as
 * FoundationDB's and TiKV's failpoints do). `PROV_FAILPOINT=<name>` in the
 * environment arms one; unset, each is a single string comparison.
 */
export type FailpointName =
  /** register: the bundle files are written, the registry row is not. */
  | 'register:blobs-written'
  /** register: the row is written inside the transaction, not committed. */
  | 'register:before-commit';

export function failpoint(name: FailpointName, env: NodeJS.ProcessEnv): void {
  if (env['PROV_FAILPOINT'] === name) process.kill(process.pid, 'SIGKILL');
}
