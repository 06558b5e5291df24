/** /actions: one action by id, or those named by `?id=` (the API's way to poll several at once). */
import { notFound } from '../api-error.js';
import { paginate } from '../list-query.js';
import type { Route } from '../router.js';

export const actionRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/v1/actions',
    handle({ query, cloud }) {
      const ids = query.getAll('id').map(Number);
      const statuses = query.getAll('status');
      const page = paginate(cloud.actions.list((action) => (ids.length === 0 || ids.includes(action.id)) && (statuses.length === 0 || statuses.includes(action.status))), query);
      return { status: 200, body: { actions: page.items, meta: page.meta } };
    },
  },
  {
    method: 'GET',
    pattern: '/v1/actions/{id}',
    handle({ params, cloud }) {
      const action = cloud.actions.get(Number(params['id']));
      if (action === undefined) throw notFound('action', params['id']!);
      return { status: 200, body: { action } };
    },
  },
];
