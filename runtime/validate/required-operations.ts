import type { ExtensionKind } from '../manifest/manifest-schema.js';

/** The operations each kind must define (PRODUCT.md §2); a cluster's are its declared components. */
export const REQUIRED_OPERATIONS: Record<ExtensionKind, readonly string[]> = {
  provider: [
    'createServer', 'deleteServer', 'listServers', 'getServerInfo', 'startServer', 'stopServer', 'rebootServer',
    'getPricing', 'getPlans', 'getZones', 'getSshAccess', 'configureFirewall',
  ],
  taskserv: ['install', 'uninstall', 'configure', 'status', 'restart', 'upgrade', 'getCurrentVersion', 'getAvailableVersions', 'checkUpdates'],
  cluster: [],
};

/** Operations a kind may define besides its required ones without a "did you mean". */
export const OPTIONAL_OPERATIONS: Record<ExtensionKind, readonly string[]> = {
  provider: ['validateConfig', 'testConnection'],
  taskserv: [],
  cluster: ['create', 'delete', 'scale', 'upgrade', 'status'],
};
