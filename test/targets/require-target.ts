import { targetsUnavailable } from './systemd-target.js';

/**
 * Whether this run can boot real targets. Without them the target tests skip
 * and say why, unless PROV_REQUIRE_TARGETS=1 (CI), where that is a failure.
 */
export async function targetSupport(): Promise<{ available: boolean; reason?: string }> {
  const reason = await targetsUnavailable();
  if (reason === undefined) return { available: true };
  if (process.env['PROV_REQUIRE_TARGETS'] === '1') throw new Error(`PROV_REQUIRE_TARGETS=1 but targets cannot start here: ${reason}`);
  console.warn(`skipping real-server tests: ${reason}`);
  return { available: false, reason };
}
