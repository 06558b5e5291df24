import { defineProvider } from 'prov/sdk';

export default defineProvider({
  getZones: async (_input: unknown, ctx: any) => (await ctx.http.fetch('https://api.example.com/zones')).json(),
} as any);
