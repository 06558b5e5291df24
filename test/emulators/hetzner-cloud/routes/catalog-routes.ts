/** What the cloud sells: /server_types, /locations, /images (each also by id) and /pricing. */
import { notFound } from '../api-error.js';
import { IMAGES, LOCATIONS, pricingJson, SERVER_TYPES } from '../catalog.js';
import { matchesName, paginate } from '../list-query.js';
import type { Route } from '../router.js';

function listAndGet<T extends { id: number; name: string }>(path: string, key: string, one: string, items: readonly T[], filter: (item: T, query: URLSearchParams) => boolean = () => true): Route[] {
  return [
    {
      method: 'GET',
      pattern: `/v1/${path}`,
      handle({ query }) {
        const page = paginate(items.filter((item) => matchesName(item.name, query) && filter(item, query)), query);
        return { status: 200, body: { [key]: page.items, meta: page.meta } };
      },
    },
    {
      method: 'GET',
      pattern: `/v1/${path}/{id}`,
      handle({ params }) {
        const item = items.find((candidate) => candidate.id === Number(params['id']));
        if (item === undefined) throw notFound(one, params['id']!);
        return { status: 200, body: { [one]: item } };
      },
    },
  ];
}

export const catalogRoutes: Route[] = [
  ...listAndGet('server_types', 'server_types', 'server_type', SERVER_TYPES),
  ...listAndGet('locations', 'locations', 'location', LOCATIONS),
  ...listAndGet('images', 'images', 'image', IMAGES, (image, query) => {
    const types = query.getAll('type');
    const architecture = query.get('architecture');
    return (types.length === 0 || types.includes(image.type)) && (architecture === null || architecture === image.architecture);
  }),
  { method: 'GET', pattern: '/v1/pricing', handle: () => ({ status: 200, body: pricingJson() }) },
];
