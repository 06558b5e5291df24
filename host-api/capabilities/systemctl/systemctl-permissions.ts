import type { PermissionKind } from '../../capability.js';

/** systemd's unit-name grammar (systemd.unit(5)): name[@instance].type; never an option. */
export const UNIT_NAME = /^[A-Za-z0-9:_.\\@-]{1,240}\.(service|socket|device|mount|automount|swap|target|path|timer|slice|scope)$/;
const UNIT_PATTERN = /^[A-Za-z0-9:_.\\@*?[\]-]{1,255}$/;

export function isUnitName(unit: string): boolean {
  return UNIT_NAME.test(unit) && !unit.startsWith('-');
}

/** A glob over unit names (`*`, `?`, `[…]`) as a RegExp. */
function globRegExp(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const end = pattern.indexOf(']', index + 1);
      if (end === -1) source += '\\[';
      else {
        const body = pattern.slice(index + 1, end).replace(/\\/g, '\\\\');
        source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        index = end;
      }
    } else source += char.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Whether a (possibly conjoined `a&b`) systemctl entry allows this unit. */
export function unitMatches(entry: string, unit: string): boolean {
  return entry.split('&').every((part) => globRegExp(part).test(unit));
}

const isGlob = (entry: string) => /[*?[]/.test(entry);

export const systemctlPermission: PermissionKind = {
  key: 'systemctl',
  flag: '--allow-systemctl',
  noun: 'systemctl on the unit',
  normalize(value) {
    if (!UNIT_PATTERN.test(value) || value.startsWith('-')) throw new Error(`"${value}" is not a unit name or pattern (e.g. containerd.service, containerd*.service)`);
    try {
      globRegExp(value); // a class like [z-a] is refused here, not at the first call
    } catch {
      throw new Error(`"${value}" is not a valid pattern (a character class is out of order)`);
    }
    return value;
  },
  intersect(requested, granted) {
    const out = new Set<string>();
    for (const asked of requested) for (const given of granted) {
      if (asked === given) out.add(asked);
      else if (!isGlob(asked) && unitMatches(given, asked)) out.add(asked);
      else if (!isGlob(given) && unitMatches(asked, given)) out.add(given);
      else if (isGlob(asked) && isGlob(given)) out.add([asked, given].sort().join('&'));
    }
    return [...out];
  },
};
