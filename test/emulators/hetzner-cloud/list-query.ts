/**
 * What every list endpoint of the API shares: `page`/`per_page` pagination
 * with `meta.pagination` (25 a page by default, at most 50), and
 * `label_selector` filtering (`k=v`, `k!=v`, `k`, `!k`, comma-joined).
 */
import { invalidInput } from './api-error.js';

export interface Paginated<T> {
  items: T[];
  meta: { pagination: { page: number; per_page: number; previous_page: number | null; next_page: number | null; last_page: number; total_entries: number } };
}

export function paginate<T>(items: T[], query: URLSearchParams): Paginated<T> {
  const page = positiveInt(query, 'page', 1);
  const perPage = Math.min(positiveInt(query, 'per_page', 25), 50);
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  return {
    items: items.slice((page - 1) * perPage, page * perPage),
    meta: {
      pagination: {
        page,
        per_page: perPage,
        previous_page: page > 1 ? page - 1 : null,
        next_page: page < lastPage ? page + 1 : null,
        last_page: lastPage,
        total_entries: items.length,
      },
    },
  };
}

function positiveInt(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!/^[1-9]\d*$/.test(raw)) throw invalidInput([{ name, messages: ['must be a positive integer'] }]);
  return Number(raw);
}

export function matchesLabelSelector(labels: Record<string, string>, selector: string | null): boolean {
  if (selector === null || selector === '') return true;
  return selector.split(',').every((term) => {
    const part = term.trim();
    const unequal = /^([^!=]+)!=(.*)$/.exec(part);
    if (unequal) return labels[unequal[1]!.trim()] !== unequal[2]!.trim();
    const equal = /^([^!=]+)==?(.*)$/.exec(part);
    if (equal) return labels[equal[1]!.trim()] === equal[2]!.trim();
    if (part.startsWith('!')) return !Object.hasOwn(labels, part.slice(1));
    return Object.hasOwn(labels, part);
  });
}

/** `?name=` filters by exact name, as on every named resource. */
export function matchesName(name: string, query: URLSearchParams): boolean {
  const wanted = query.get('name');
  return wanted === null || wanted === name;
}
