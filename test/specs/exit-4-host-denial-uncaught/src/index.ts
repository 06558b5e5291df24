import { defineProvider } from 'prov/sdk';

export default defineProvider({
  getZones: async (_input: unknown, ctx: any) => {
    await ctx.sleep(-1);
    return 'unreachable';
  },
} as any);
