import { defineProvider } from 'prov/sdk';

export default defineProvider({
  getZones: async (_input: unknown, ctx: any) => ctx.fs.readFile('/etc/prov-spec-root/../passwd'),
} as any);
