/**
 * /servers: list (paginated, `name`, `label_selector`, `status`
 * filters), create, get, delete, and the power actions under
 * /servers/{id}/actions/{action}, with the actions they start.
 */
import { ApiError, notFound } from '../api-error.js';
import type { PowerAction } from '../emulated-cloud.js';
import { matchesLabelSelector, matchesName, paginate } from '../list-query.js';
import type { Route } from '../router.js';

const POWER_ACTIONS: readonly string[] = ['poweron', 'poweroff', 'shutdown', 'reboot', 'reset'] satisfies PowerAction[];

export const serverRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/v1/servers',
    handle({ query, cloud }) {
      const statuses = query.getAll('status');
      const servers = cloud
        .servers()
        .filter((server) => matchesName(server.name, query) && matchesLabelSelector(server.labels, query.get('label_selector')))
        .filter((server) => statuses.length === 0 || statuses.includes(server.status));
      const page = paginate(servers, query);
      return { status: 200, body: { servers: page.items.map((server) => cloud.json(server)), meta: page.meta } };
    },
  },
  {
    method: 'POST',
    pattern: '/v1/servers',
    async handle({ body, cloud }) {
      return { status: 201, body: await cloud.createServer(body) };
    },
  },
  {
    method: 'GET',
    pattern: '/v1/servers/{id}',
    handle: ({ params, cloud }) => ({ status: 200, body: { server: cloud.json(cloud.server(Number(params['id']))) } }),
  },
  {
    method: 'DELETE',
    pattern: '/v1/servers/{id}',
    handle: ({ params, cloud }) => ({ status: 200, body: { action: cloud.deleteServer(Number(params['id'])) } }),
  },
  {
    method: 'GET',
    pattern: '/v1/servers/{id}/actions',
    handle({ params, query, cloud }) {
      const id = Number(params['id']);
      cloud.server(id);
      const page = paginate(cloud.actions.list((action) => action.resources.some((resource) => resource.type === 'server' && resource.id === id)), query);
      return { status: 200, body: { actions: page.items, meta: page.meta } };
    },
  },
  {
    method: 'GET',
    pattern: '/v1/servers/{id}/actions/{actionId}',
    handle({ params, cloud }) {
      const action = cloud.actions.get(Number(params['actionId']));
      if (action === undefined || !action.resources.some((resource) => resource.type === 'server' && resource.id === Number(params['id']))) throw notFound('action', params['actionId']!);
      return { status: 200, body: { action } };
    },
  },
  {
    method: 'POST',
    pattern: '/v1/servers/{id}/actions/{action}',
    handle({ params, cloud }) {
      const name = params['action']!;
      if (!POWER_ACTIONS.includes(name)) {
        cloud.server(Number(params['id']));
        throw new ApiError('not_found', `server action ${name} is not emulated (the emulator knows ${POWER_ACTIONS.join(', ')})`);
      }
      return { status: 201, body: { action: cloud.powerAction(Number(params['id']), name as PowerAction) } };
    },
  },
];
