import { defineProvider } from 'prov/sdk';

export default defineProvider({
  getZones: async (_input: unknown, ctx: any) => ctx.secrets.get('api.token'),
} as any);
