import { defineProvider } from 'prov/sdk';

export default defineProvider({
  createServer: async (_input: unknown, ctx: any) => {
    // Nothing listens on port 9: had the host sent this, it would fail with ECONNREFUSED.
    const response = await ctx.http.fetch('http://127.0.0.1:9/servers', { method: 'pOsT', body: { name: 'web-1' } });
    return { planned: response.planned, check: ctx.check };
  },
} as any);
