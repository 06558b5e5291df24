import type { Plan, Price, Zone } from 'prov/sdk';

/**
 * Hetzner Cloud's shared-vCPU server types and locations (prices in EUR,
 * excluding VAT, as published on 2026-10-01). The API's /server_types and
 * /pricing endpoints are the live source; this catalogue lets plans, zones,
 * pricing and config validation work without credentials.
 */
export const PLANS: readonly Plan[] = [
  { name: 'cx22', cores: 2, memory_mb: 4096, disk_gb: 40, description: 'Intel, shared vCPU' },
  { name: 'cx32', cores: 4, memory_mb: 8192, disk_gb: 80, description: 'Intel, shared vCPU' },
  { name: 'cx42', cores: 8, memory_mb: 16384, disk_gb: 160, description: 'Intel, shared vCPU' },
  { name: 'cx52', cores: 16, memory_mb: 32768, disk_gb: 320, description: 'Intel, shared vCPU' },
  { name: 'cax11', cores: 2, memory_mb: 4096, disk_gb: 40, description: 'Ampere Arm64, shared vCPU' },
  { name: 'cax21', cores: 4, memory_mb: 8192, disk_gb: 80, description: 'Ampere Arm64, shared vCPU' },
  { name: 'cpx11', cores: 2, memory_mb: 2048, disk_gb: 40, description: 'AMD, shared vCPU' },
  { name: 'ccx13', cores: 2, memory_mb: 8192, disk_gb: 80, description: 'AMD, dedicated vCPU' },
];

export const ZONES: readonly Zone[] = [
  { name: 'fsn1', location: 'Falkenstein, DE', description: 'eu-central' },
  { name: 'nbg1', location: 'Nuremberg, DE', description: 'eu-central' },
  { name: 'hel1', location: 'Helsinki, FI', description: 'eu-central' },
  { name: 'ash', location: 'Ashburn, VA, US', description: 'us-east' },
  { name: 'hil', location: 'Hillsboro, OR, US', description: 'us-west' },
  { name: 'sin', location: 'Singapore, SG', description: 'ap-southeast' },
];

/** Monthly net prices in EUR per plan; US and Singapore locations cost more. */
const MONTHLY_EUR: Readonly<Record<string, number>> = {
  cx22: 3.79, cx32: 6.8, cx42: 16.4, cx52: 32.4, cax11: 3.79, cax21: 6.49, cpx11: 4.35, ccx13: 12.49,
};
const ZONE_SURCHARGE: Readonly<Record<string, number>> = { ash: 1.2, hil: 1.2, sin: 1.35 };

/** Plans each location offers (Arm is not sold in the US or Singapore). */
export function plansIn(zone: string): string[] {
  const arm = zone === 'fsn1' || zone === 'nbg1' || zone === 'hel1';
  return PLANS.filter((plan) => arm || !plan.name.startsWith('cax')).map((plan) => plan.name);
}

/** Hours Hetzner bills per month at most: the hourly price is monthly / this, rounded up to 4 places. */
const HOURS_PER_MONTH = 672;

export function pricing(): Price[] {
  const prices: Price[] = [];
  for (const zone of ZONES) {
    for (const plan of plansIn(zone.name)) {
      const monthly = round(MONTHLY_EUR[plan]! * (ZONE_SURCHARGE[zone.name] ?? 1), 2);
      prices.push({ plan, zone: zone.name, monthly, hourly: Math.ceil((monthly / HOURS_PER_MONTH) * 10_000) / 10_000, currency: 'EUR' });
    }
  }
  return prices;
}

function round(value: number, places: number): number {
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
}
