import { defineCluster, type ComponentSpec, type ProvContext } from 'prov/sdk';
import { buildkitComponents, unitOf } from './components.js';
import { SETTINGS } from './settings.js';

const COMPONENTS = buildkitComponents(SETTINGS);

/** One component as the status hook sees it on the server. */
interface ComponentState {
  name: string;
  unit: string;
  /** systemd's ActiveState, or `not-found` when the unit is not there. */
  state: string;
  enabled: string;
}

async function componentState(ctx: ProvContext, server: string, component: ComponentSpec): Promise<ComponentState> {
  const unit = unitOf(component);
  // `show` only reads, so it also runs under --check.
  const shown = await ctx.systemctl('show', unit, { server });
  const properties = shown.properties ?? {};
  const loaded = properties['LoadState'] !== 'not-found';
  return {
    name: component.name,
    unit,
    state: loaded ? (properties['ActiveState'] ?? shown.active ?? 'unknown') : 'not-found',
    enabled: properties['UnitFileState'] || shown.enabled || 'unknown',
  };
}

export default defineCluster({
  components: COMPONENTS,

  /**
   * A hook: prov keeps the per-component deployment record itself
   * (`prov cluster status`); this adds what systemd says about each
   * component's unit on --server.
   */
  async status(_input, ctx) {
    const server = ctx.target?.name;
    if (server === undefined) {
      throw new Error(`${ctx.extension.name} status reads the components' units on a server: run it with --server NAME`);
    }
    const components = await Promise.all(COMPONENTS.map((component) => componentState(ctx, server, component)));
    return {
      cluster: ctx.extension.name,
      server,
      healthy: components.every((component) => component.state === 'active'),
      components,
    };
  },
});
