/**
 * The project's SSH keys (docs.hetzner.cloud, "SSH Keys"): registered by
 * name, unique by name and by fingerprint, named in POST /servers by id or
 * name. Their public keys are what a new server's root may log in with.
 */
import { apiTime } from './actions.js';
import { invalidInput, notFound, uniquenessError, type FieldProblem } from './api-error.js';
import { checkLabels } from './labels.js';
import { fingerprint, isPublicKey } from './ssh-public-key.js';

export interface SshKeyJson {
  id: number;
  name: string;
  fingerprint: string;
  public_key: string;
  labels: Record<string, string>;
  created: string;
}

export class SshKeyStore {
  readonly #keys = new Map<number, SshKeyJson>();
  #nextId = 1;

  list(): SshKeyJson[] {
    return [...this.#keys.values()].map((key) => structuredClone(key));
  }

  get(id: number): SshKeyJson {
    const key = this.#keys.get(id);
    if (key === undefined) throw notFound('ssh_key', id);
    return structuredClone(key);
  }

  /** By id or by name, as POST /servers's `ssh_keys` names them; undefined when there is none. */
  find(ref: string | number): SshKeyJson | undefined {
    const byId = typeof ref === 'number' || /^\d+$/.test(ref) ? this.#keys.get(Number(ref)) : undefined;
    return byId ?? [...this.#keys.values()].find((key) => key.name === String(ref));
  }

  create(body: Record<string, unknown>): SshKeyJson {
    const problems: FieldProblem[] = [];
    if (typeof body['name'] !== 'string' || body['name'].trim() === '') problems.push({ name: 'name', messages: ['is required'] });
    if (typeof body['public_key'] !== 'string' || !isPublicKey(body['public_key'])) problems.push({ name: 'public_key', messages: ['is not a valid OpenSSH public key'] });
    const labels = checkLabels(body['labels'], problems);
    if (problems.length > 0) throw invalidInput(problems);
    const name = body['name'] as string;
    const publicKey = (body['public_key'] as string).trim();
    if ([...this.#keys.values()].some((key) => key.name === name)) throw uniquenessError('SSH key with the same name already exists', 'name');
    const print = fingerprint(publicKey);
    if ([...this.#keys.values()].some((key) => key.fingerprint === print)) throw uniquenessError('SSH key with the same fingerprint already exists', 'public_key');
    const key: SshKeyJson = { id: this.#nextId++, name, fingerprint: print, public_key: publicKey, labels, created: apiTime() };
    this.#keys.set(key.id, key);
    return structuredClone(key);
  }

  update(id: number, body: Record<string, unknown>): SshKeyJson {
    const key = this.#keys.get(id);
    if (key === undefined) throw notFound('ssh_key', id);
    const problems: FieldProblem[] = [];
    if (body['name'] !== undefined && (typeof body['name'] !== 'string' || body['name'].trim() === '')) problems.push({ name: 'name', messages: ['must be a non-empty string'] });
    const labels = body['labels'] === undefined ? key.labels : checkLabels(body['labels'], problems);
    if (problems.length > 0) throw invalidInput(problems);
    if (typeof body['name'] === 'string' && [...this.#keys.values()].some((other) => other.id !== id && other.name === body['name'])) {
      throw uniquenessError('SSH key with the same name already exists', 'name');
    }
    Object.assign(key, { ...(typeof body['name'] === 'string' ? { name: body['name'] } : {}), labels });
    return structuredClone(key);
  }

  delete(id: number): void {
    if (!this.#keys.delete(id)) throw notFound('ssh_key', id);
  }
}
