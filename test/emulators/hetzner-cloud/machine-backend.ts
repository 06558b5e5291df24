/**
 * What stands behind the emulated API's servers. The API's state machine
 * (statuses, actions, locks) is the emulator's; a backend only makes
 * machines exist, run and stop: `noMachines()` pretends instantly,
 * `nspawnMachines()` boots real ones.
 */

export interface MachineSpec {
  serverId: number;
  serverName: string;
  /** root's authorized_keys: the public keys of the ssh_keys the request named, as the cloud injects them. */
  authorizedKeys: string[];
  /** The request's user_data (cloud-config), run on the first boot. */
  userData: string | null;
  enableIpv4: boolean;
  enableIpv6: boolean;
}

/** A server's public addresses: known when it is created, before it boots (the API answers them at once). */
export interface MachineAddresses {
  /** An address, e.g. "203.0.113.7". */
  ipv4: string | null;
  /** A /64 network, e.g. "2001:db8:0:7::/64". */
  ipv6: string | null;
}

/** How a test reaches a real machine: its own eyes, beside the API. */
export interface MachineAccess {
  /** The test target's name (test/targets): its netns is `pt-NAME`, its state under /var/tmp/prov-target/run/NAME. */
  targetName: string;
  host: string;
  port: number;
  /** The machine's host key line (`ssh-ed25519 AAAA…`), its own, kept until the server is deleted. */
  hostKey: string;
  /** A known_hosts file for host:port (valid while the server exists). */
  knownHosts: string;
  running: boolean;
  /** Runs argv as root inside the machine without ssh (the test's hands, not the cloud's). */
  exec(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

export interface MachineBackend {
  /** Whether there are real machines behind the servers. */
  readonly real: boolean;
  create(spec: MachineSpec): Promise<MachineAddresses>;
  /** Resolves once the machine is up (for a real one: systemd running and sshd answering). */
  powerOn(serverId: number): Promise<void>;
  /** Resolves once the machine is off. Its disk stays. */
  powerOff(serverId: number): Promise<void>;
  /** Powers off if needed and frees everything: disk, address. */
  destroy(serverId: number): Promise<void>;
  access(serverId: number): MachineAccess | undefined;
  /** Destroys every machine this backend made. */
  stopAll(): Promise<void>;
}
