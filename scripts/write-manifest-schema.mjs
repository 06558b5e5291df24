// Writes schema/metadata.schema.json from the zod schema (run after `npm run build`; a test keeps them in sync).
import { writeFileSync } from 'node:fs';
import { manifestJsonSchema } from '../dist/runtime/manifest/strict-manifest-schema.js';

const file = new URL('../schema/metadata.schema.json', import.meta.url);
writeFileSync(file, `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);
