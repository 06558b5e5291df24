import type { ProvContext } from 'prov/sdk';

/** The server an operation acts on: `prov run … --server NAME`. */
export function targetServer(ctx: ProvContext): string {
  const name = ctx.target?.name;
  if (name === undefined) {
    throw new Error('registry acts on a server: run it with --server NAME (a server from "prov server list")');
  }
  return name;
}
