// One operation in a fresh `node` process: the process-per-op baseline.
// argv: <bundle file> <operation> <input JSON or ''> <identity JSON>
// Writes the result as one JSON line on stdout.
import { readFileSync } from 'node:fs';
import { evaluateBundle, fakeContext, invoke } from './fake-host.mjs';

const [bundleFile, operation, inputJson, identityJson] = process.argv.slice(2);
const operations = evaluateBundle(readFileSync(bundleFile, 'utf8'));
const ctx = fakeContext({ identity: JSON.parse(identityJson), log: { write() {} } });
const result = await invoke(operations, operation, inputJson === '' ? undefined : JSON.parse(inputJson), ctx);
process.stdout.write(`${JSON.stringify(result ?? null)}\n`);
