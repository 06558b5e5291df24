/**
 * What the emulated cloud sells: locations, their datacenters, server types
 * with per-location prices, and system images, in the real API's shapes.
 * Names and ids follow Hetzner's; prices are illustrative (EUR, net, VAT
 * 19 %), not a copy of today's price list.
 */

export interface Location {
  id: number;
  name: string;
  description: string;
  country: string;
  city: string;
  latitude: number;
  longitude: number;
  network_zone: string;
}

export const LOCATIONS: readonly Location[] = [
  { id: 1, name: 'fsn1', description: 'Falkenstein DC Park 1', country: 'DE', city: 'Falkenstein', latitude: 50.47612, longitude: 12.370071, network_zone: 'eu-central' },
  { id: 2, name: 'nbg1', description: 'Nuremberg DC Park 1', country: 'DE', city: 'Nuremberg', latitude: 49.452102, longitude: 11.076665, network_zone: 'eu-central' },
  { id: 3, name: 'hel1', description: 'Helsinki DC Park 1', country: 'FI', city: 'Helsinki', latitude: 60.169855, longitude: 24.938379, network_zone: 'eu-central' },
  { id: 4, name: 'ash', description: 'Ashburn, VA', country: 'US', city: 'Ashburn, VA', latitude: 39.045821, longitude: -77.487073, network_zone: 'us-east' },
  { id: 5, name: 'hil', description: 'Hillsboro, OR', country: 'US', city: 'Hillsboro, OR', latitude: 45.54222, longitude: -122.951924, network_zone: 'us-west' },
  { id: 6, name: 'sin', description: 'Singapore', country: 'SG', city: 'Singapore', latitude: 1.283333, longitude: 103.833333, network_zone: 'ap-southeast' },
];

/** The datacenter a server lands in, per location. */
export const DATACENTERS: Readonly<Record<string, { id: number; name: string; description: string }>> = {
  fsn1: { id: 4, name: 'fsn1-dc14', description: 'Falkenstein 1 virtual DC 14' },
  nbg1: { id: 2, name: 'nbg1-dc3', description: 'Nuremberg 1 virtual DC 3' },
  hel1: { id: 3, name: 'hel1-dc2', description: 'Helsinki 1 virtual DC 2' },
  ash: { id: 5, name: 'ash-dc1', description: 'Ashburn virtual DC 1' },
  hil: { id: 6, name: 'hil-dc1', description: 'Hillsboro virtual DC 1' },
  sin: { id: 7, name: 'sin-dc1', description: 'Singapore virtual DC 1' },
};

interface TypeSpec {
  id: number;
  name: string;
  cores: number;
  memory: number;
  disk: number;
  cpu_type: 'shared' | 'dedicated';
  architecture: 'x86' | 'arm';
  /** Net EUR per hour and per month in the EU locations. */
  hourly: number;
  monthly: number;
}

const TYPES: readonly TypeSpec[] = [
  { id: 104, name: 'cx22', cores: 2, memory: 4, disk: 40, cpu_type: 'shared', architecture: 'x86', hourly: 0.006, monthly: 3.79 },
  { id: 105, name: 'cx32', cores: 4, memory: 8, disk: 80, cpu_type: 'shared', architecture: 'x86', hourly: 0.0109, monthly: 6.8 },
  { id: 106, name: 'cx42', cores: 8, memory: 16, disk: 160, cpu_type: 'shared', architecture: 'x86', hourly: 0.0263, monthly: 16.4 },
  { id: 107, name: 'cx52', cores: 16, memory: 32, disk: 320, cpu_type: 'shared', architecture: 'x86', hourly: 0.0519, monthly: 32.4 },
  { id: 45, name: 'cax11', cores: 2, memory: 4, disk: 40, cpu_type: 'shared', architecture: 'arm', hourly: 0.006, monthly: 3.79 },
  { id: 93, name: 'cax21', cores: 4, memory: 8, disk: 80, cpu_type: 'shared', architecture: 'arm', hourly: 0.0104, monthly: 6.49 },
  { id: 22, name: 'cpx11', cores: 2, memory: 2, disk: 40, cpu_type: 'shared', architecture: 'x86', hourly: 0.007, monthly: 4.35 },
  { id: 96, name: 'ccx13', cores: 2, memory: 8, disk: 80, cpu_type: 'dedicated', architecture: 'x86', hourly: 0.02, monthly: 12.49 },
];

/** US and Singapore cost more; Arm is sold in the EU only. */
const SURCHARGE: Readonly<Record<string, number>> = { ash: 1.2, hil: 1.2, sin: 1.35 };
const VAT = 0.19;

function amount(net: number) {
  return { net: net.toFixed(10), gross: (net * (1 + VAT)).toFixed(10) };
}

function pricesOf(type: TypeSpec) {
  return LOCATIONS.filter((location) => type.architecture === 'x86' || location.network_zone === 'eu-central').map((location) => {
    const factor = SURCHARGE[location.name] ?? 1;
    return {
      location: location.name,
      price_hourly: amount(type.hourly * factor),
      price_monthly: amount(type.monthly * factor),
      included_traffic: location.network_zone === 'eu-central' ? 21_990_232_555_520 : 1_099_511_627_776,
      price_per_tb_traffic: amount(location.network_zone === 'eu-central' ? 1 : 7.2),
    };
  });
}

export type ServerType = ReturnType<typeof serverTypeJson>;

function serverTypeJson(type: TypeSpec) {
  return {
    id: type.id,
    name: type.name,
    description: type.name.toUpperCase(),
    cores: type.cores,
    memory: type.memory,
    disk: type.disk,
    deprecated: false,
    deprecation: null,
    prices: pricesOf(type),
    storage_type: 'local',
    cpu_type: type.cpu_type,
    architecture: type.architecture,
  };
}

export const SERVER_TYPES: readonly ServerType[] = TYPES.map(serverTypeJson);

export type Image = (typeof IMAGES)[number];

export const IMAGES = [
  image(114690387, 'debian-12', 'Debian 12', 'debian', '12'),
  image(114690389, 'debian-11', 'Debian 11', 'debian', '11'),
  image(161547269, 'ubuntu-24.04', 'Ubuntu 24.04', 'ubuntu', '24.04'),
  image(67794396, 'ubuntu-22.04', 'Ubuntu 22.04', 'ubuntu', '22.04'),
];

function image(id: number, name: string, description: string, flavor: string, version: string) {
  return {
    id,
    type: 'system' as const,
    status: 'available' as const,
    name,
    description,
    image_size: null,
    disk_size: 5,
    created: '2023-06-13T06:00:02+00:00',
    created_from: null,
    bound_to: null,
    os_flavor: flavor,
    os_version: version,
    rapid_deploy: true,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: {},
    architecture: 'x86' as const,
  };
}

/** GET /pricing: the project's price list. */
export function pricingJson() {
  return {
    pricing: {
      currency: 'EUR',
      vat_rate: (VAT * 100).toFixed(6),
      image: { price_per_gb_month: amount(0.011) },
      floating_ip: { price_monthly: amount(3) },
      primary_ips: [],
      server_backup: { percentage: '20.000000' },
      server_types: SERVER_TYPES.map((type) => ({ id: type.id, name: type.name, prices: type.prices })),
      load_balancer_types: [],
      volume: { price_per_gb_month: amount(0.044) },
    },
  };
}
