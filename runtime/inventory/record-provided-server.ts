import { z } from 'zod';
import type { PlainValue } from '../data/plain-data.js';
import { Store } from '../state/store.js';
import { scanHostKeys } from './host-keys.js';
import { Inventory } from './inventory.js';
import { SERVER_NAME, type ServerRecord } from './server-record.js';

/** What a provider's createServer returns (the SDK's ServerInfo), as far as the inventory needs it. */
const createdServer = z.object({
  id: z.string().min(1),
  hostname: z.string().min(1),
  status: z.string().optional(),
  addresses: z.record(z.string(), z.unknown()).optional(),
  ssh: z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535), user: z.string().min(1) }).optional(),
}).loose();

const sshAccess = z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535), user: z.string().min(1) }).loose();

/** What the operator says about the new server (`prov provider create-server … --identity K --tag T`). */
export interface CreatedServerOptions {
  /** The private key prov logs in with; null: the operator's ssh config and agent. */
  identity: string | null;
  /** Tags besides `provider-<name>`. */
  tags: readonly string[];
}

export interface RecordOutcome {
  recorded?: ServerRecord;
  /** What the operator should know: why it was not recorded, or that its host key is not pinned yet. */
  notice?: string;
}

/**
 * Puts a server a provider just created into the inventory, so task
 * services and clusters can act on it by name: its hostname, where SSH
 * reaches it (the result's `ssh`, else the provider's getSshAccess), the
 * provider and its id, status and addresses. Its host key is pinned now if
 * the server answers; if not, it is recorded unpinned, and SSH to it is
 * refused (nothing is trusted on first use later) until the operator pins it.
 */
export async function recordProvidedServer(
  provider: string,
  result: PlainValue,
  askSshAccess: (id: string) => Promise<PlainValue>,
  env: NodeJS.ProcessEnv,
  created: CreatedServerOptions = { identity: null, tags: [] },
  scan: (host: string, port: number) => Promise<string[]> = scanHostKeys,
): Promise<RecordOutcome> {
  const parsed = createdServer.safeParse(result);
  if (!parsed.success) return { notice: `${provider} create-server returned no server id and hostname: nothing recorded in the inventory` };
  const server = parsed.data;
  if (!SERVER_NAME.test(server.hostname)) return { notice: `the hostname "${server.hostname}" cannot name an inventory server: not recorded (prov server add NAME --host …)` };
  let ssh = server.ssh;
  if (ssh === undefined) {
    const access = sshAccess.safeParse(await askSshAccess(server.id));
    if (!access.success) return { notice: `${provider} get-ssh-access gave no host, port and user for ${server.id}: not recorded in the inventory` };
    ssh = access.data;
  }
  let hostKeys: string[] = [];
  let notice: string | undefined;
  try {
    hostKeys = await scan(ssh.host, ssh.port);
  } catch {
    notice = `${server.hostname} did not answer on ${ssh.host}:${ssh.port} yet: recorded without a pinned host key, so SSH to it is refused until you pin one (prov server remove ${server.hostname}, then prov server add ${server.hostname} --host ${ssh.host} --port ${ssh.port} --user ${ssh.user} [--known-hosts FILE])`;
  }
  const record: ServerRecord = {
    name: server.hostname,
    host: ssh.host,
    port: ssh.port,
    user: ssh.user,
    identity: created.identity,
    tags: [...new Set([`provider-${provider}`, ...created.tags])],
    hostKeys,
    source: `provider:${provider}`,
    createdAt: new Date().toISOString(),
    provider: { name: provider, id: server.id, ...(server.status === undefined ? {} : { status: server.status }), ...(server.addresses === undefined ? {} : { addresses: server.addresses }) },
  };
  const store = Store.open(env);
  try {
    const inventory = new Inventory(store);
    const existing = inventory.get(record.name);
    if (existing !== undefined && !(existing.provider?.name === provider)) {
      return { notice: `an inventory server is already named ${record.name} (${existing.source}): the new server was not recorded` };
    }
    inventory.add(record, true);
  } finally {
    store.close();
  }
  return { recorded: record, ...(notice === undefined ? {} : { notice }) };
}

/** After a provider's deleteServer: the inventory servers it had recorded under that id go. */
export function forgetProvidedServer(provider: string, id: string, env: NodeJS.ProcessEnv): string[] {
  const store = Store.open(env);
  try {
    return new Inventory(store).removeProvided(provider, id);
  } finally {
    store.close();
  }
}
