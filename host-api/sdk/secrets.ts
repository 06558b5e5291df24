/**
 * `ctx.secrets`: reading a secret's value. Most extensions never need it: a
 * `{{secret:NAME}}` placeholder in a `ctx.http.fetch` URL, header or body is
 * filled in by the host (`[permissions] secrets`), and the value never enters
 * the sandbox. `get` is the stronger grant `[permissions] secrets_read`.
 * Every secret value is masked (`***`) in everything prov writes.
 */

/**
 * @example
 * // metadata.toml: [permissions] secrets_read = ["registry.password"]
 * const password = await ctx.secrets.get('registry.password');
 */
export interface Secrets {
  get(name: string): Promise<string>;
}
