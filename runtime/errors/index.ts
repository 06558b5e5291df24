export * from './error-codes.js';
export * from './prov-error.js';
