import type { z } from 'zod';
import { ProvError } from '../errors/index.js';

/** Checks a command's options (as commander parsed them) against its zod schema. */
export function parseOptions<T>(schema: z.ZodType<T>, raw: unknown): T {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const option = issue.path.map((part) => `--${String(part).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(' ');
  throw new ProvError('Usage', `${option || 'options'}: ${issue.message}`, { hint: 'See "prov <command> --help".' });
}
