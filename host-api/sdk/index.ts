/**
 * The SDK extension authors import as `prov/sdk` (and zod as `prov/sdk/zod`).
 * It is bundled into every extension and runs inside the sandbox, so it is
 * checked by tsconfig.guest.json: no Node APIs here.
 */
export * from './context.js';
export * from './http.js';
export * from './fs.js';
export * from './secrets.js';
export * from './servers.js';
export * from './systemctl.js';
export * from './operation.js';
export * from './extension-definition.js';
export * from './provider.js';
export * from './taskserv.js';
export * from './cluster.js';
