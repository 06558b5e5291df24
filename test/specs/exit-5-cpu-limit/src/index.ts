import { defineProvider } from 'prov/sdk';

export default defineProvider({
  getZones: async () => {
    for (;;) {}
  },
} as any);
