/** /ssh_keys: list (`name`, `fingerprint`, `label_selector`), register, get, rename or relabel, delete. */
import { matchesLabelSelector, matchesName, paginate } from '../list-query.js';
import type { Route } from '../router.js';

export const sshKeyRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/v1/ssh_keys',
    handle({ query, cloud }) {
      const fingerprint = query.get('fingerprint');
      const keys = cloud.sshKeys
        .list()
        .filter((key) => matchesName(key.name, query) && (fingerprint === null || key.fingerprint === fingerprint) && matchesLabelSelector(key.labels, query.get('label_selector')));
      const page = paginate(keys, query);
      return { status: 200, body: { ssh_keys: page.items, meta: page.meta } };
    },
  },
  { method: 'POST', pattern: '/v1/ssh_keys', handle: ({ body, cloud }) => ({ status: 201, body: { ssh_key: cloud.sshKeys.create(body) } }) },
  { method: 'GET', pattern: '/v1/ssh_keys/{id}', handle: ({ params, cloud }) => ({ status: 200, body: { ssh_key: cloud.sshKeys.get(Number(params['id'])) } }) },
  { method: 'PUT', pattern: '/v1/ssh_keys/{id}', handle: ({ params, body, cloud }) => ({ status: 200, body: { ssh_key: cloud.sshKeys.update(Number(params['id']), body) } }) },
  {
    method: 'DELETE',
    pattern: '/v1/ssh_keys/{id}',
    handle({ params, cloud }) {
      cloud.sshKeys.delete(Number(params['id']));
      return { status: 204 };
    },
  },
];
