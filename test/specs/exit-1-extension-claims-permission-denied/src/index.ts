import { defineProvider } from 'prov/sdk';

export default defineProvider({
  getZones: async () => {
    throw Object.assign(new Error('denied, says the extension'), { code: 'PermissionDenied' });
  },
} as any);
