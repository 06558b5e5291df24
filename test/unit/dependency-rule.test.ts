import { describe, expect, it } from 'vitest';
import { dependencyFindings, manifestDependencies, type RegisteredDependency } from '../../runtime/validate/dependency-rule.js';

const reg = (name: string, version: string, dependencies: Record<string, string> = {}, type = 'taskserv'): RegisteredDependency => ({ name, type, version, dependencies });
const messages = (findings: ReturnType<typeof dependencyFindings>) => findings.map((finding) => finding.message);

describe('the dependency rule', () => {
  it('finds a direct cycle through the registry and prints its path', () => {
    expect(messages(dependencyFindings('a', { b: '>=1.0.0' }, [reg('b', '1.0.0', { a: '*' }), reg('a', '1.0.0')]))).toEqual(['dependency cycle: a → b → a']);
  });

  it('finds a longer cycle, and the shortest one when there are several', () => {
    const registered = [reg('b', '1.0.0', { c: '*' }), reg('c', '1.0.0', { d: '*', a: '*' }), reg('d', '1.0.0', { a: '*' })];
    expect(messages(dependencyFindings('a', { b: '*' }, registered))).toEqual(['dependency cycle: a → b → c → a']);
    expect(messages(dependencyFindings('a', { b: '*', d: '*' }, registered))).toEqual(['dependency cycle: a → d → a']);
  });

  it('a diamond is not a cycle', () => {
    const registered = [reg('b', '1.0.0', { d: '*' }), reg('c', '1.0.0', { d: '*' }), reg('d', '1.0.0')];
    expect(dependencyFindings('a', { b: '*', c: '*' }, registered)).toEqual([]);
  });

  it('a cycle among registered extensions that does not return to this one is not its finding, and the search ends', () => {
    const registered = [reg('b', '1.0.0', { c: '*' }), reg('c', '1.0.0', { b: '*' })];
    expect(dependencyFindings('a', { b: '*' }, registered)).toEqual([]);
  });

  it('this extension\'s registered edges are replaced by the ones being validated', () => {
    // The registered a depended on b, which depends on a: the new a no longer does.
    const registered = [reg('a', '1.0.0', { b: '*' }), reg('b', '1.0.0', { a: '*' })];
    expect(dependencyFindings('a', {}, registered)).toEqual([]);
  });

  it('self, bad range, unregistered, out of range', () => {
    expect(messages(dependencyFindings('a', { a: '*', b: 'latest', c: '>=1', d: '^2.0.0' }, [reg('d', '1.9.0')]))).toEqual([
      'a depends on itself',
      '[dependencies] b = "latest" is not a semver range',
      '[dependencies] c is not registered',
      '[dependencies] d = "^2.0.0", but the registered d is 1.9.0 (taskserv)',
    ]);
  });

  it('a registered prerelease does not satisfy a plain range (semver\'s rule), and the message names it', () => {
    expect(messages(dependencyFindings('a', { b: '>=1.0.0' }, [reg('b', '2.0.0-beta.1')]))).toEqual(['[dependencies] b = ">=1.0.0", but the registered b is 2.0.0-beta.1 (taskserv)']);
    expect(dependencyFindings('a', { b: '>=2.0.0-beta.0' }, [reg('b', '2.0.0-beta.1')])).toEqual([]);
  });

  it('a registered manifest\'s dependencies are read leniently', () => {
    expect(manifestDependencies('[extension]\nname = "x"\n[dependencies]\nb = ">=1"\nc = 3\n')).toEqual({ b: '>=1' });
    expect(manifestDependencies('not toml [')).toEqual({});
  });
});
