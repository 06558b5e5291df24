import { defineOperation, defineProvider } from 'prov/sdk';
import * as z from 'prov/sdk/zod';

export default defineProvider({
  getServerInfo: defineOperation({
    input: z.object({ id: z.string().check(z.regex(/^\d+$/, 'must be digits')) }),
    run: async ({ id }) => ({ id }),
  }),
} as any);
