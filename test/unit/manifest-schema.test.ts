import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { manifestFindings } from '../../runtime/manifest/manifest-findings.js';
import { manifestJsonSchema } from '../../runtime/manifest/strict-manifest-schema.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const fixtures = path.join(repo, 'test', 'manifests');
const cases = readdirSync(fixtures).filter((name) => statSync(path.join(fixtures, name)).isDirectory());

/**
 * The strict manifest schema, table-driven: one folder per broken (or
 * complete) manifest under test/manifests/, its expected findings beside it.
 */
describe('metadata.toml against the strict schema', () => {
  for (const name of cases) {
    it(`${name}: exactly its expected findings`, () => {
      const file = path.join(fixtures, name, 'metadata.toml');
      const expected = JSON.parse(readFileSync(path.join(fixtures, name, 'expected.json'), 'utf8')) as object[];
      const findings = manifestFindings(readFileSync(file, 'utf8'), file);
      expect(findings).toHaveLength(expected.length);
      expected.forEach((finding, index) => expect(findings[index]).toMatchObject({ rule: 'schema', severity: 'error', file, ...finding }));
    });
  }

  it.each(['hetzner', 'webdemo'])('the reference extension %s is clean', (name) => {
    const file = path.join(repo, 'extensions', name, 'metadata.toml');
    expect(manifestFindings(readFileSync(file, 'utf8'), file)).toEqual([]);
  });

  it('publishes the JSON Schema generated from the zod schema (npm run schema rewrites it)', () => {
    const published = JSON.parse(readFileSync(path.join(repo, 'schema', 'metadata.schema.json'), 'utf8'));
    expect(published).toEqual(manifestJsonSchema());
  });
});
