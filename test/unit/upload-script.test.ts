import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UPLOAD_SCRIPT } from '../../host-api/capabilities/servers/servers-capability.js';

/** The script an upload runs on the server, run here by a real /bin/sh. */
describe('the upload script', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'prov-upload-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const upload = (file: string, mode: string, bytes: number, input: string) =>
    spawnSync('/bin/sh', ['-c', UPLOAD_SCRIPT, 'sh', file, mode, String(bytes)], { input });

  it('installs exactly the bytes announced, with the mode asked', () => {
    const file = path.join(dir, 'a.conf');
    expect(upload(file, '640', 5, 'hello').status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('hello');
    expect(statSync(file).mode & 0o7777).toBe(0o640);
  });

  it('never installs a stream cut short, and leaves no temp file', () => {
    const file = path.join(dir, 'a.conf');
    writeFileSync(file, 'old');
    const cut = upload(file, '', 10, 'short');
    expect(cut.status).toBe(7);
    expect(cut.stderr.toString()).toContain('upload cut short');
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['a.conf']);
  });

  it('drops setuid, setgid and sticky bits kept from an existing file', () => {
    const file = path.join(dir, 'tool');
    writeFileSync(file, 'old');
    chmodSync(file, 0o6755);
    expect(upload(file, '', 3, 'new').status).toBe(0);
    expect(statSync(file).mode & 0o7777).toBe(0o755);
    expect(existsSync(file)).toBe(true);
  });
});
