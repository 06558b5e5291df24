import { defineProvider } from 'prov/sdk';

export default defineProvider({} as any);
