/** A server in the operator's inventory. */
export interface ServerRecord {
  name: string;
  host: string;
  port: number;
  user: string;
  /** Private key file to log in with; none: the operator's ssh config and agent decide. */
  identity: string | null;
  tags: string[];
  /** Pinned host keys, `type base64` each: ssh accepts no other. */
  hostKeys: string[];
  /** `manual` (prov server add) or `provider:<name>`. */
  source: string;
  createdAt: string;
  /** For a server a provider created: which one, the provider's id for it, and what it said at creation. */
  provider?: ProviderOrigin;
}

export interface ProviderOrigin {
  name: string;
  id: string;
  status?: string;
  addresses?: Record<string, unknown>;
}

/** The server named `local` is the machine prov runs on: always in the inventory, reached without SSH. */
export const LOCAL_SERVER: ServerRecord = {
  name: 'local',
  host: 'localhost',
  port: 0,
  user: '(operator)',
  identity: null,
  tags: ['local'],
  hostKeys: [],
  source: 'builtin',
  createdAt: '1970-01-01T00:00:00.000Z',
};

export const SERVER_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
