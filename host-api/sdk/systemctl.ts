/**
 * `ctx.systemctl(verb, unit, {server})`: systemd on a granted server, for
 * the units in `[permissions] systemctl` (names or patterns such as
 * `containerd*.service`). `daemon-reload` takes no unit and is allowed by
 * any systemctl grant on that server.
 */

export type SystemctlVerb =
  | 'start' | 'stop' | 'restart' | 'reload' | 'enable' | 'disable'
  | 'is-active' | 'is-enabled' | 'status' | 'daemon-reload' | 'show';

export interface SystemctlOptions {
  /** The server; default `ctx.target`. */
  server?: string;
}

/** What a verb did, parsed. Mutating verbs under `--check` are planned, not run. */
export interface SystemctlResult {
  verb: SystemctlVerb;
  unit: string | null;
  /** systemctl's exit status. */
  code: number | null;
  /** `ActiveState` (active, inactive, failed, …) after the call, when known. */
  active?: string;
  /** `UnitFileState` (enabled, disabled, static, …) after the call, when known. */
  enabled?: string;
  /** `show`: every property; `status`: its text. */
  properties?: Record<string, string>;
  output?: string;
  planned: boolean;
}

/**
 * @example
 * await ctx.systemctl('daemon-reload', null);
 * await ctx.systemctl('enable', 'demo.service');
 * const { active } = await ctx.systemctl('start', 'demo.service');
 */
export type Systemctl = (verb: SystemctlVerb, unit: string | null, options?: SystemctlOptions) => Promise<SystemctlResult>;
