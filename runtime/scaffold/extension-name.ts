import { EXTENSION_NAME } from '../manifest/manifest-schema.js';

/** Why `name` cannot name an extension, or undefined when it can (the manifest's rule). */
export function extensionNameProblem(name: string): string | undefined {
  if (EXTENSION_NAME.test(name)) return undefined;
  return `${JSON.stringify(name)} is not an extension name: it must match ^[a-z][a-z0-9-]{1,62}$ (lower-case letters, digits, dashes; 2–63 characters, starting with a letter)`;
}

/**
 * The nearest valid name, for a "did you mean": `My_Cloud` → `my-cloud`.
 * Undefined when nothing usable is left (`42`, `-`).
 */
export function suggestExtensionName(name: string): string | undefined {
  const suggestion = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return EXTENSION_NAME.test(suggestion) ? suggestion : undefined;
}
