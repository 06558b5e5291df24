import type { PlainValue } from '../../../runtime/data/plain-data.js';
import { ProvError } from '../../../runtime/errors/index.js';
import type { CallRecord, Capability, HostCallContext } from '../../capability.js';
import { malformed, permissionDenied } from '../../grants/permission-denied.js';
import { checkServer, runInternal } from '../servers/servers-capability.js';
import { takeOptions } from '../take-options.js';
import { isUnitName, systemctlPermission, unitMatches } from './systemctl-permissions.js';

const READ_VERBS = new Set(['is-active', 'is-enabled', 'status', 'show']);
const MUTATING_VERBS = new Set(['start', 'stop', 'restart', 'reload', 'enable', 'disable', 'daemon-reload']);
/** Verbs whose effect the before/after state shows; restart and reload always act. */
const STATE_VERBS = new Set(['start', 'stop', 'enable', 'disable']);

interface UnitState {
  active: string;
  enabled: string;
}

async function unitState(server: string, unit: string, call: HostCallContext): Promise<UnitState> {
  const result = await runInternal(server, ['systemctl', 'show', '--property=ActiveState,UnitFileState', '--', unit], call);
  const properties = parseProperties(result.stdout.toString('utf8'));
  return { active: properties['ActiveState'] ?? 'unknown', enabled: properties['UnitFileState'] || 'unknown' };
}

function parseProperties(text: string): Record<string, string> {
  const properties: Record<string, string> = Object.create(null);
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) properties[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return properties;
}

/**
 * `ctx.systemctl(verb, unit, {server})`. The verb comes from a fixed set, the
 * unit must be a unit name (never an option: it always goes after `--`) that
 * a granted pattern matches; `daemon-reload` takes no unit and any
 * systemctl grant allows it. Under --check, mutating verbs are planned with
 * the unit's current state; `changed` compares the state before and after.
 */
async function systemctlCall([rawVerb, rawUnit, rawOptions]: PlainValue[], call: HostCallContext, record: CallRecord): Promise<PlainValue> {
  const options = takeOptions(rawOptions, ['server'], 'systemctl', systemctlPermission);
  if (typeof rawVerb !== 'string' || (!READ_VERBS.has(rawVerb) && !MUTATING_VERBS.has(rawVerb))) {
    throw malformed(systemctlPermission, `systemctl: ${JSON.stringify(rawVerb)} is not a verb prov runs (${[...MUTATING_VERBS, ...READ_VERBS].join(', ')})`);
  }
  const verb = rawVerb;
  const serverName = options['server'] ?? call.target?.name;
  if (serverName === undefined) throw malformed(systemctlPermission, 'systemctl: no server given and the operation has no target (prov run … --server S)');
  const server = checkServer(serverName, call, record);
  let unit: string | null = null;
  if (verb === 'daemon-reload') {
    if (rawUnit !== null && rawUnit !== undefined) throw malformed(systemctlPermission, 'systemctl daemon-reload takes no unit (pass null)');
    if ((call.grant.granted.systemctl ?? []).length === 0) {
      throw permissionDenied(systemctlPermission, 'daemon-reload', call.grant, (call.grant.requested.systemctl ?? []).length > 0, record);
    }
  } else {
    if (typeof rawUnit !== 'string' || !isUnitName(rawUnit)) {
      throw malformed(systemctlPermission, `systemctl ${verb}: ${JSON.stringify(rawUnit)} is not a unit name (name.service, name@instance.timer, …)`);
    }
    unit = rawUnit;
    record.permission = { key: 'systemctl', value: unit };
    if (!(call.grant.granted.systemctl ?? []).some((entry) => unitMatches(entry, unit!))) {
      throw permissionDenied(systemctlPermission, unit, call.grant, (call.grant.requested.systemctl ?? []).some((entry) => unitMatches(entry, unit!)), record);
    }
  }
  record.target = `${server}: systemctl ${verb}${unit === null ? '' : ` ${unit}`}`;
  const planTarget = `${server}: ${unit ?? '(daemon)'}`;
  const argv = unit === null ? ['systemctl', verb] : ['systemctl', verb, '--', unit];

  if (MUTATING_VERBS.has(verb)) {
    const before = unit === null ? undefined : await unitState(server, unit, call);
    // restart, reload and daemon-reload act whatever the state: their effect cannot be known, so they count as a change.
    const wouldChange = verb === 'restart' || verb === 'reload' || verb === 'daemon-reload' ? true : !alreadyThere(verb, before!);
    if (call.check) {
      record.planned = true;
      record.changed = wouldChange;
      const state = before === undefined ? '' : ` (now ${before.active}, ${before.enabled})`;
      call.effects.planned({ capability: 'systemctl', call: `systemctl ${verb}`, target: planTarget, summary: `${verb}${state}${wouldChange ? '' : ': no change'}`, changes: wouldChange });
      return { verb, unit, code: null, planned: true };
    }
    const result = await runInternal(server, argv, call);
    if (result.code !== 0) {
      throw new ProvError('HostCallFailed', `${server}: systemctl ${verb}${unit === null ? '' : ` ${unit}`} failed (exit ${result.code}): ${result.stderr.toString('utf8').trim()}`, { details: { reason: 'ESYSTEMCTL' } });
    }
    const after = unit === null ? undefined : await unitState(server, unit, call);
    const changed = verb === 'restart' || verb === 'reload' || verb === 'daemon-reload' ? true : before!.active !== after!.active || before!.enabled !== after!.enabled;
    record.changed = changed;
    call.effects.performed(changed);
    return { verb, unit, code: result.code, ...(after === undefined ? {} : { active: after.active, enabled: after.enabled }), planned: false };
  }

  const result = await runInternal(server, argv, call);
  const output = result.stdout.toString('utf8');
  record.bytesIn = result.stdout.length;
  if (verb === 'show') return { verb, unit, code: result.code, properties: parseProperties(output), planned: false };
  // is-active and is-enabled print the state they test: no second round trip.
  if (verb === 'is-active') return { verb, unit, code: result.code, active: output.trim() || 'unknown', planned: false };
  if (verb === 'is-enabled') return { verb, unit, code: result.code, enabled: output.trim() || 'unknown', planned: false };
  const state = await unitState(server, unit!, call);
  return { verb, unit, code: result.code, active: state.active, enabled: state.enabled, ...(verb === 'status' ? { output } : {}), planned: false };
}

/** Whether the unit is already where the verb would take it. */
function alreadyThere(verb: string, state: UnitState): boolean {
  if (verb === 'start') return state.active === 'active';
  if (verb === 'stop') return state.active === 'inactive' || state.active === 'failed';
  if (verb === 'enable') return state.enabled === 'enabled';
  if (verb === 'disable') return state.enabled === 'disabled';
  return false;
}

export const systemctlCapability = {
  name: 'systemctl',
  alwaysGranted: false,
  permissions: [systemctlPermission],
  calls: { systemctl: systemctlCall },
} satisfies Capability;
