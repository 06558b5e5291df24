/** Values of the secrets granted to one extension, by name: what the host fills placeholders from. */
export type SecretValues = ReadonlyMap<string, string>;

export const NO_SECRETS: SecretValues = new Map();
