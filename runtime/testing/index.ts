/**
 * `prov/testing`: what an extension's `tests/*.test.ts` import. `prov test`
 * runs them with vitest against the sandboxed build; vitest's own API is
 * re-exported, so a test needs no other import (and the extension no
 * dependency besides prov).
 */
export { loadForTest, type LoadForTestOptions, type TestExtension, type TestOutcome, type TestRunOptions } from './load-for-test.js';
export { startTestServer, type TestHandler, type TestRequest, type TestResponse, type TestServer } from './test-server.js';
export { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, test, vi } from 'vitest';
export { ProvError, type ErrorCode } from '../errors/index.js';
export type { AuditRecord, AuditDecision } from '../../host-api/audit/audit-record.js';
export type { LogEntry, LogLevel } from '../../host-api/capability.js';
export type { PermissionSet, PermissionKey } from '../../host-api/grants/permission-keys.js';
export type { GrantView } from '../../host-api/grants/grant-view.js';
export type { OperationResult, PlanEntry } from '../sandbox/operation-result.js';
export type { PlainValue, PlainObject } from '../data/plain-data.js';
export type { ServerRecord } from '../inventory/server-record.js';
export { LOCAL_SERVER } from '../inventory/server-record.js';
