import { defineProvider } from 'prov/sdk';

export default defineProvider({
  async createServer() { return null; },
  async deleteServer() { return null; },
  async listServers() { return null; },
  async getServerInfo() { return null; },
  async startServer() { return null; },
  async stopServer() { return null; },
  async rebootServer() { return null; },
  async getPricing() { return null; },
  async getPlans() { return null; },
  async getZones() { return null; },
  async getSshAccess() { return null; },
  async configureFirewall() { return null; },
} as any);
