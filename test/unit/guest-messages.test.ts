import { describe, expect, it } from 'vitest';
import { parseDescription, parseInitOutcome, parseOperationOutcome } from '../../runtime/sandbox/guest-messages.js';

/** The host's checks of what the guest sends back: anything malformed is the extension's failure, never a crash in prov. */
describe('guest messages', () => {
  it('passes a result through the fast framing untouched', () => {
    expect(parseOperationOutcome('R{"a":1}')).toEqual({ status: 'ok', resultJson: '{"a":1}' });
  });

  it('reads every outcome status', () => {
    expect(parseOperationOutcome('O{"status":"unknown-operation","available":["a"]}')).toEqual({ status: 'unknown-operation', available: ['a'] });
    expect(parseOperationOutcome('O{"status":"bad-result","message":"m"}')).toEqual({ status: 'bad-result', message: 'm' });
    expect(parseOperationOutcome('O{"status":"thrown","error":{"name":"E","message":"m","stack":"s","code":"X"}}')).toEqual({
      status: 'thrown',
      error: { name: 'E', message: 'm', stack: 's', code: 'X' },
    });
    expect(
      parseOperationOutcome('O{"status":"invalid-input","issues":[{"path":["a",0],"message":"m","details":{"code":"too_small","minimum":1,"keys":["x"],"nested":{"no":1}}}]}'),
    ).toEqual({ status: 'invalid-input', issues: [{ path: ['a', 0], message: 'm', details: { code: 'too_small', minimum: 1, keys: ['x'] } }] });
  });

  it('cuts extension text that is too long instead of refusing it', () => {
    const outcome = parseOperationOutcome(`O${JSON.stringify({ status: 'bad-result', message: 'x'.repeat(100_000) })}`);
    expect(outcome.status === 'bad-result' && outcome.message.endsWith('… [cut]')).toBe(true);
    expect(outcome.status === 'bad-result' && outcome.message.length).toBe(64 * 1024 + '… [cut]'.length);
  });

  it.each([
    [42, 'not a string'],
    ['Xsomething', 'unknown framing'],
    ['O{"status":"ok","resultJson":"{}"}', 'unknown status'],
    ['O{"status":"bad-result"}', 'message is not a string'],
    ['O{"status":"thrown","error":{"name":"E","message":"m"}}', 'error stack is not a string'],
    ['O{"status":"thrown","error":{"name":"E","message":"m","stack":"s","code":7}}', 'error code is not a string'],
    ['O{"status":"unknown-operation","available":"a"}', 'available is not a list'],
    [`O${JSON.stringify({ status: 'unknown-operation', available: Array(1001).fill('a') })}`, 'available has more than 1000 entries'],
    [`O${JSON.stringify({ status: 'unknown-operation', available: ['x'.repeat(257)] })}`, 'operation name is longer than 256 characters'],
    ['O{"status":"invalid-input","issues":[{"path":[{"k":1}],"message":"m"}]}', 'issue path part is not a string'],
    ['O{not json', 'Expected property name'],
    ['O[]', 'outcome is not an object'],
  ])('refuses %j (%s) as OperationFailed', (raw, reason) => {
    expect(() => parseOperationOutcome(raw)).toThrow(expect.objectContaining({ code: 'OperationFailed', message: expect.stringContaining(reason) }));
  });

  it('reads and checks load results and descriptions', () => {
    expect(parseInitOutcome('{"status":"invalid","message":"no default export"}')).toEqual({ status: 'invalid', message: 'no default export' });
    expect(parseDescription('{"kind":"provider","operations":[{"name":"a","inputSchema":{"type":"object"}}],"components":[{"name":"c"}]}')).toEqual({
      kind: 'provider',
      operations: [{ name: 'a', inputSchema: { type: 'object' } }],
      components: [{ name: 'c' }],
    });
    expect(() => parseInitOutcome('{"status":"ok","description":{"kind":"provider"}}')).toThrow('operations is not a list');
    expect(() => parseDescription(`{"kind":"${'k'.repeat(65)}","operations":[]}`)).toThrow('kind is longer than 64 characters');
  });

  it('never lets a __proto__ key through', () => {
    const outcome = parseOperationOutcome('O{"status":"thrown","error":{"name":"E","message":"m","stack":"s","__proto__":{"polluted":1}}}');
    expect(outcome).toEqual({ status: 'thrown', error: { name: 'E', message: 'm', stack: 's' } });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('guest message size', () => {
  it('refuses an outcome over 1 MiB before parsing it', () => {
    const issues = Array.from({ length: 20 }, () => ({ path: ['p'.repeat(1000)], message: 'm'.repeat(60_000) }));
    expect(() => parseOperationOutcome(`O${JSON.stringify({ status: 'invalid-input', issues })}`)).toThrow(
      expect.objectContaining({ code: 'OperationFailed', message: 'The extension sent a malformed operation result (larger than 1048576 characters)' }),
    );
  });

  it('refuses a description over 4 MiB', () => {
    const components = Array.from({ length: 30 }, () => 'c'.repeat(200_000));
    expect(() => parseDescription(JSON.stringify({ kind: 'provider', operations: [], components }))).toThrow('larger than 4194304 characters');
  });
});
