/** /firewalls: list, create (applied at once to apply_to's servers, one apply_firewall action each), get, delete. */
import { matchesLabelSelector, matchesName, paginate } from '../list-query.js';
import type { Route } from '../router.js';

export const firewallRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/v1/firewalls',
    handle({ query, cloud }) {
      const page = paginate(cloud.firewalls.list().filter((firewall) => matchesName(firewall.name, query) && matchesLabelSelector(firewall.labels, query.get('label_selector'))), query);
      return { status: 200, body: { firewalls: page.items, meta: page.meta } };
    },
  },
  {
    method: 'POST',
    pattern: '/v1/firewalls',
    handle({ body, cloud }) {
      const { firewall, servers } = cloud.firewalls.create(body, (id) => cloud.exists(id));
      const actions = servers.map((id) => cloud.actions.start('apply_firewall', [{ id: firewall.id, type: 'firewall' }, { id, type: 'server' }], async () => undefined).action);
      return { status: 201, body: { firewall, actions } };
    },
  },
  { method: 'GET', pattern: '/v1/firewalls/{id}', handle: ({ params, cloud }) => ({ status: 200, body: { firewall: cloud.firewalls.get(Number(params['id'])) } }) },
  {
    method: 'DELETE',
    pattern: '/v1/firewalls/{id}',
    handle({ params, cloud }) {
      cloud.firewalls.delete(Number(params['id']));
      return { status: 204 };
    },
  },
];
