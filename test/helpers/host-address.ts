import os from 'node:os';

/**
 * An address of this host that the veth-mode test machines reach: their
 * default route goes through the host, so any address the host owns
 * answers. The first non-loopback IPv4 that is not a target's own link
 * (10.213.x.x comes and goes with each machine).
 */
export function hostAddress(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal && !address.address.startsWith('10.213.')) return address.address;
    }
  }
  throw new Error('this host has no IPv4 address besides loopback: veth machines could not reach a server on it');
}
