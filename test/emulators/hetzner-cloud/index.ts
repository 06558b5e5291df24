/** The Hetzner Cloud API emulator: start it, point a client at `apiUrl` with `token`, choose what stands behind its servers. */
export { HetznerCloudEmulator, type HetznerCloudEmulatorOptions } from './hetzner-cloud-emulator.js';
export { noMachines } from './no-machines.js';
export { nspawnMachines, type NspawnMachinesOptions } from './nspawn-machines.js';
export type { MachineAccess, MachineAddresses, MachineBackend, MachineSpec } from './machine-backend.js';
export type { Failure, PathPattern } from './fault-knobs.js';
export type { RequestRecord } from './request-log.js';
export type { ServerJson } from './server-record.js';
export type { SshKeyJson } from './ssh-keys.js';
export { ERROR_STATUS, type ErrorBody, type ErrorCode } from './api-error.js';
