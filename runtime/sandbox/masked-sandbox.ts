import type { AuditSink, LogSink } from '../../host-api/capability.js';
import type { ExtensionDescription } from '../../host-api/guest-protocol.js';
import type { ExtensionIdentity } from '../../host-api/sdk/context.js';
import type { SecretMasker } from '../../host-api/secrets/secret-masker.js';
import type { PlainValue } from '../data/plain-data.js';
import { ProvError } from '../errors/index.js';
import type { CallOptions, ExtensionSandbox } from './extension-sandbox.js';
import type { OperationResult } from './operation-result.js';

/**
 * Secret values never leave the sandbox layer: results, plans and errors of
 * the wrapped sandbox are masked here, and its log and audit sinks are
 * wrapped by maskLog/maskAudit, so whatever prov writes afterwards (stdout,
 * stderr, --json, the audit log) carries `***` instead.
 */
export class MaskedSandbox implements ExtensionSandbox {
  constructor(
    private readonly inner: ExtensionSandbox,
    private readonly masker: SecretMasker,
  ) {}

  get identity(): ExtensionIdentity {
    return this.inner.identity;
  }

  get description(): ExtensionDescription {
    return this.inner.description;
  }

  describe(): Promise<ExtensionDescription> {
    return this.inner.describe();
  }

  async call(operation: string, input: PlainValue | undefined, options?: CallOptions): Promise<OperationResult> {
    try {
      const outcome = await this.inner.call(operation, input, options);
      return {
        result: this.masker.maskValue(outcome.result),
        changed: outcome.changed,
        ...(outcome.plan === undefined ? {} : { plan: this.masker.maskValue(outcome.plan as unknown as PlainValue) as unknown as OperationResult['plan'] }),
      };
    } catch (error) {
      throw maskError(error, this.masker);
    }
  }

  dispose(): void {
    this.inner.dispose();
  }
}

export function maskError(error: unknown, masker: SecretMasker): unknown {
  if (!(error instanceof ProvError) || masker.empty) return error;
  const details = error.details === undefined ? undefined : (masker.maskValue(error.details as PlainValue) as Record<string, unknown>);
  return new ProvError(error.code, masker.mask(error.message), {
    ...(error.hint === undefined ? {} : { hint: masker.mask(error.hint) }),
    ...(details === undefined ? {} : { details }),
    cause: error.cause,
  });
}

export function maskLog(sink: LogSink, masker: SecretMasker): LogSink {
  if (masker.empty) return sink;
  return {
    write: (entry) =>
      sink.write({
        ...entry,
        message: masker.mask(entry.message),
        ...(entry.fields === undefined ? {} : { fields: masker.maskValue(entry.fields) }),
      }),
  };
}

export function maskAudit(sink: AuditSink, masker: SecretMasker): AuditSink {
  if (masker.empty) return sink;
  return { write: (record) => sink.write(masker.maskValue(record as unknown as PlainValue) as unknown as typeof record) };
}
