import type { ProvContext, SystemctlResult, SystemctlVerb } from 'prov/sdk';
import { UNIT } from './layout.js';

/** A mutating verb; fails the operation when systemctl does (a planned call under --check never does). */
export async function systemctl(ctx: ProvContext, server: string, verb: SystemctlVerb, unit: string | null = UNIT): Promise<SystemctlResult> {
  const result = await ctx.systemctl(verb, unit, { server });
  if (!result.planned && result.code !== 0) {
    const output = result.output?.trim();
    throw new Error(`systemctl ${verb}${unit === null ? '' : ` ${unit}`} on ${server} failed with exit status ${result.code}${output ? `: ${output}` : ''}`);
  }
  return result;
}

export interface UnitState {
  /** False when systemd has no such unit (`LoadState=not-found`). */
  loaded: boolean;
  /** `ActiveState`: active, inactive, failed, activating, … */
  active: string;
  /** `UnitFileState`: enabled, disabled, … ('' when there is no unit file). */
  enabled: string;
}

/** registry.service as systemd sees it (`systemctl show`: read-only, so it runs under --check too). */
export async function unitState(ctx: ProvContext, server: string): Promise<UnitState> {
  const shown = await ctx.systemctl('show', UNIT, { server });
  const properties = shown.properties ?? {};
  const loadState = properties['LoadState'];
  return {
    loaded: loadState !== undefined ? loadState !== 'not-found' : shown.code === 0,
    active: properties['ActiveState'] ?? shown.active ?? 'unknown',
    enabled: properties['UnitFileState'] ?? shown.enabled ?? '',
  };
}
