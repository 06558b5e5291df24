/**
 * The emulated cloud's state and its servers' life: what the routes turn
 * HTTP into. A server is `initializing` until its machine is up, then
 * `running`; power actions pass through `starting`/`stopping` to `running`
 * or `off`; a deleted server is `deleting` until its machine is gone, then
 * gone (404). While an action runs, the server is locked: other power
 * actions get `locked` (423). A deletion is never refused for that: it
 * waits for the running action, then powers the machine off for good.
 */
import { randomBytes } from 'node:crypto';
import { ActionLog, apiTime, type ActionJson } from './actions.js';
import { locked, notFound, uniquenessError } from './api-error.js';
import { FirewallStore } from './firewalls.js';
import type { MachineBackend } from './machine-backend.js';
import { parseCreateServer } from './server-input.js';
import { serverJson, type ServerJson, type ServerRecord, type ServerStatus } from './server-record.js';
import { SshKeyStore } from './ssh-keys.js';

export type PowerAction = 'poweron' | 'poweroff' | 'shutdown' | 'reboot' | 'reset';

/** Each power action's command in the action it starts, the status while it runs, and the status it leaves. */
const POWER: Readonly<Record<PowerAction, { command: string; during: ServerStatus; after: ServerStatus }>> = {
  poweron: { command: 'start_server', during: 'starting', after: 'running' },
  poweroff: { command: 'stop_server', during: 'stopping', after: 'off' },
  shutdown: { command: 'shutdown_server', during: 'stopping', after: 'off' },
  // A reboot is a power cycle inside a running server: the API keeps saying `running`.
  reboot: { command: 'reboot_server', during: 'running', after: 'running' },
  reset: { command: 'reset_server', during: 'running', after: 'running' },
};

export interface CreatedServer {
  server: ServerJson;
  action: ActionJson;
  next_actions: ActionJson[];
  root_password: string | null;
}

export class EmulatedCloud {
  readonly actions = new ActionLog();
  readonly sshKeys = new SshKeyStore();
  readonly firewalls = new FirewallStore();
  readonly #servers = new Map<number, ServerRecord>();
  /** Root passwords handed out, by server id: the API returns one when no ssh key was given. */
  readonly rootPasswords = new Map<number, string>();
  #nextId = 1;

  readonly machines: MachineBackend;

  constructor(machines: MachineBackend) {
    this.machines = machines;
  }

  servers(): ServerRecord[] {
    return [...this.#servers.values()];
  }

  json(server: ServerRecord): ServerJson {
    return serverJson(server, this.firewalls.appliedTo(server.id));
  }

  server(id: number): ServerRecord {
    const server = this.#servers.get(id);
    if (server === undefined) throw notFound('server', id);
    return server;
  }

  exists(id: number): boolean {
    return this.#servers.has(id);
  }

  async createServer(body: Record<string, unknown>): Promise<CreatedServer> {
    const input = parseCreateServer(body, { sshKey: (ref) => this.sshKeys.find(ref), firewallExists: (id) => this.firewalls.list().some((firewall) => firewall.id === id) });
    if (this.servers().some((server) => server.name === input.name)) throw uniquenessError('server name is already used', 'name');
    const id = this.#nextId++;
    const addresses = await this.machines.create({
      serverId: id,
      serverName: input.name,
      authorizedKeys: input.sshKeys.map((key) => key.public_key),
      userData: input.userData,
      enableIpv4: input.enableIpv4,
      enableIpv6: input.enableIpv6,
    });
    const server: ServerRecord = {
      id,
      name: input.name,
      status: 'initializing',
      created: apiTime(),
      serverType: input.serverType,
      location: input.location,
      image: input.image,
      labels: input.labels,
      sshKeyIds: input.sshKeys.map((key) => key.id),
      userData: input.userData,
      ipv4: addresses.ipv4,
      ipv6: addresses.ipv6,
      lockedBy: null,
      queue: Promise.resolve(),
    };
    this.#servers.set(id, server);
    for (const firewall of input.firewallIds) this.firewalls.apply(firewall, id);
    const rootPassword = input.sshKeys.length === 0 ? randomBytes(12).toString('base64url') : null;
    if (rootPassword !== null) this.rootPasswords.set(id, rootPassword);

    const resources = [{ id, type: 'server' as const }];
    // create_server and start_server both end when the machine is up (or, not started, when it exists).
    const boot = input.startAfterCreate
      ? this.#enqueue(server, async () => {
          await this.machines.powerOn(id);
          if (server.status !== 'deleting') server.status = 'running';
        })
      : this.#enqueue(server, async () => {
          if (server.status !== 'deleting') server.status = 'off';
        });
    boot.catch(() => {
      if (server.status === 'initializing') server.status = 'off';
    });
    const create = this.actions.start('create_server', resources, () => boot);
    const start = input.startAfterCreate ? this.actions.start('start_server', resources, () => boot) : undefined;
    this.#lockUntil(server, (start ?? create).action.id, Promise.allSettled([create.done, start?.done]));
    return { server: this.json(server), action: create.action, next_actions: start === undefined ? [] : [start.action], root_password: rootPassword };
  }

  powerAction(id: number, name: PowerAction): ActionJson {
    const server = this.server(id);
    if (server.lockedBy !== null || server.status === 'deleting') throw locked();
    const { command, during, after } = POWER[name];
    const from = server.status;
    const { action, done } = this.actions.start(command, [{ id, type: 'server' }], () =>
      this.#enqueue(server, async () => {
        const on = from !== 'off';
        // Powering on a running server, or off an off one, changes nothing; a reboot of an off server does not start it.
        if ((name === 'poweron' && on) || (name !== 'poweron' && !on)) return;
        server.status = during;
        try {
          if (name !== 'poweron') await this.machines.powerOff(id);
          if (name === 'poweron' || name === 'reboot' || name === 'reset') await this.machines.powerOn(id);
          server.status = after;
        } catch (error) {
          server.status = 'off';
          throw error;
        }
      }),
    );
    this.#lockUntil(server, action.id, done);
    return action;
  }

  deleteServer(id: number): ActionJson {
    const server = this.server(id);
    server.status = 'deleting';
    const { action } = this.actions.start('delete_server', [{ id, type: 'server' }], () =>
      this.#enqueue(server, async () => {
        await this.machines.destroy(id);
        this.#servers.delete(id);
        this.firewalls.forgetServer(id);
      }),
    );
    return action;
  }

  /** Runs `work` after the server's earlier work, whatever became of it. */
  #enqueue(server: ServerRecord, work: () => Promise<void>): Promise<void> {
    const next = server.queue.catch(() => undefined).then(work);
    server.queue = next.catch(() => undefined);
    return next;
  }

  #lockUntil(server: ServerRecord, actionId: number, done: Promise<unknown>): void {
    server.lockedBy = actionId;
    void done.finally(() => {
      if (server.lockedBy === actionId) server.lockedBy = null;
    });
  }
}
