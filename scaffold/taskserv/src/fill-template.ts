/**
 * Fills `{{key}}` placeholders in a text from templates/. Deliberately this
 * small (no npm dependency, so the extension builds without `npm install`);
 * swap in mustache or another engine when the templates need loops or
 * conditions. A placeholder without a value is an error rather than an empty
 * string: a config file with a hole in it is worse than no config file.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g, (placeholder, key: string) => {
    if (!Object.hasOwn(values, key)) throw new Error(`template placeholder ${placeholder} has no value`);
    return String(values[key]);
  });
}
