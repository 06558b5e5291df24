import { Command, Option } from 'commander';
import path from 'node:path';
import { z } from 'zod';
import { toPlainData, type PlainValue } from '../../data/plain-data.js';
import { escapeControl } from '../../data/control-characters.js';
import { ProvError } from '../../errors/index.js';
import { hostKeysFromFile, scanHostKeys } from '../../inventory/host-keys.js';
import { Inventory } from '../../inventory/inventory.js';
import type { ServerRecord } from '../../inventory/server-record.js';
import { Store } from '../../state/store.js';
import type { CommandContext } from '../command-context.js';
import { printJsonSuccess } from '../output.js';
import { parseOptions } from '../parse-options.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

const addSchema = z.object({
  host: z.string().min(1),
  port: z.coerce.number().int().min(1).max(65535).default(22),
  user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/, 'must be a user name').default('root'),
  identity: z.string().optional(),
  tag: z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'tags are lower-case letters, digits, ".", "_", "-"')).default([]),
  knownHosts: z.string().optional(),
  json: z.boolean().default(false),
});
const jsonSchema = z.object({ json: z.boolean().default(false) });

function withInventory<T>(cli: CommandContext, work: (inventory: Inventory) => T): T {
  const store = Store.open(cli.env);
  try {
    return work(new Inventory(store));
  } finally {
    store.close();
  }
}

function shown(server: ServerRecord): Record<string, PlainValue> {
  return {
    name: server.name, host: server.host, port: server.port, user: server.user, identity: server.identity, tags: server.tags, host_keys: server.hostKeys, source: server.source,
    ...(server.provider === undefined ? {} : { provider: toPlainData(server.provider) }),
  };
}

/** `prov server add|list|remove`: servers that no provider created, in the inventory. */
export function serverCommand(cli: CommandContext): Command {
  const server = new Command('server').description('the inventory of servers extensions act on (ctx.servers, --server)');
  server
    .command('add')
    .description('add a server by hand; its SSH host key is pinned now (first contact) or from --known-hosts')
    .argument('<name>', 'the name extensions and --server use')
    .requiredOption('--host <host>', 'address or DNS name')
    .option('--port <port>', 'SSH port', '22')
    .option('--user <user>', 'SSH user', 'root')
    .option('--identity <key>', 'private key file (default: your ssh config and agent)')
    .addOption(new Option('--tag <tag>', 'a tag, for grants like servers = ["tag:web"] (repeatable)').argParser(collect))
    .option('--known-hosts <file>', 'pin the host key from this known_hosts file instead of trusting first contact')
    .option('--json', 'print one JSON document on stdout')
    .action(async (name: string, raw: unknown) => {
      const options = parseOptions(addSchema, raw);
      cli.json = options.json;
      const hostKeys = options.knownHosts !== undefined ? await hostKeysFromFile(path.resolve(options.knownHosts), options.host, options.port) : await scanHostKeys(options.host, options.port);
      const record: ServerRecord = {
        name,
        host: options.host,
        port: options.port,
        user: options.user,
        identity: options.identity === undefined ? null : path.resolve(options.identity),
        tags: [...new Set(options.tag)],
        hostKeys,
        source: 'manual',
        createdAt: new Date().toISOString(),
      };
      withInventory(cli, (inventory) => inventory.add(record));
      if (options.json) printJsonSuccess(cli.io, { result: shown(record) });
      else cli.io.stderr.write(`✓ ${escapeControl(name)}: ${escapeControl(options.host)}:${options.port}, ${hostKeys.length} host key(s) pinned (${options.knownHosts === undefined ? 'first contact' : escapeControl(options.knownHosts)})\n`);
    });
  server
    .command('list')
    .description('the servers of the inventory ("local" is the machine prov runs on)')
    .option('--json', 'print one JSON document on stdout')
    .action((raw: unknown) => {
      const options = parseOptions(jsonSchema, raw);
      cli.json = options.json;
      const servers = withInventory(cli, (inventory) => inventory.list());
      if (options.json) {
        printJsonSuccess(cli.io, { result: servers.map(shown) });
        return;
      }
      for (const entry of servers) {
        const where = entry.name === 'local' ? 'this machine (exec and upload run as you)' : `${entry.user}@${entry.host}:${entry.port}`;
        cli.io.stdout.write(`${escapeControl(entry.name).padEnd(20)} ${escapeControl(where)}${entry.tags.length > 0 ? `  tags: ${escapeControl(entry.tags.join(', '))}` : ''}\n`);
      }
    });
  server
    .command('remove')
    .description('remove a server from the inventory')
    .argument('<name>')
    .option('--json', 'print one JSON document on stdout')
    .action((name: string, raw: unknown) => {
      const options = parseOptions(jsonSchema, raw);
      cli.json = options.json;
      if (name === 'local') throw new ProvError('Usage', '"local" is the machine prov runs on; it cannot be removed', { hint: 'Grant it or not: servers = ["local"].' });
      const removed = withInventory(cli, (inventory) => inventory.remove(name));
      if (!removed) throw new ProvError('Usage', `No server named "${name}" in the inventory`, { hint: 'See prov server list.' });
      if (options.json) printJsonSuccess(cli.io, { result: { removed: name } });
      else cli.io.stderr.write(`✓ removed ${escapeControl(name)}\n`);
    });
  return server;
}
