import { defineProvider } from 'prov/sdk';

export default defineProvider({
  getZones: async (_input: unknown, ctx: any) => ctx.secrets.get('spec.never.set'),
} as any);
