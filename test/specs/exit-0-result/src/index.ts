import { defineProvider } from 'prov/sdk';

export default defineProvider({
  getZones: async () => [{ name: 'fsn1' }],
} as any);
