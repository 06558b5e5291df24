/** The five validation rules (seed: "Extension Validation"). */
export type ValidationRule = 'structure' | 'schema' | 'interface' | 'dependency' | 'version';

/** One thing wrong (or doubtful) with an extension. */
export interface Finding {
  rule: ValidationRule;
  severity: 'error' | 'warning';
  /** Relative to the extension directory. */
  file: string;
  line?: number;
  column?: number;
  message: string;
  hint?: string;
}
