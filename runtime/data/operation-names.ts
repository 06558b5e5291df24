/** The CLI spells operations in kebab-case, code in camelCase (PRODUCT.md §2). */

/** `createServer` → `create-server`. */
export function toKebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** `create-server` → `createServer`; camelCase names pass through. */
export function toCamelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}
