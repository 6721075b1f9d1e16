// SQL quoting for rendered scripts. Inputs are validated names, quoted anyway.

/** A single-quoted SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** A backtick-quoted identifier. */
export function sqlIdentifier(value: string): string {
  return `\`${value.replace(/`/g, '``')}\``;
}

/** The session variable the entrypoint fills with a secret's value before the bootstrap runs. */
export function secretVariable(secret: string): string {
  return `@secret_${secret}`;
}

/**
 * A statement whose text embeds a secret: built at run time with QUOTE(@secret_x), so the
 * rendered file (and the synthesized JSON carrying it) holds only the variable's name.
 */
export function withSecret(before: string, secret: string, after = ''): string {
  return `EXECUTE IMMEDIATE CONCAT(${sqlString(before)}, QUOTE(${secretVariable(secret)}), ${sqlString(after)});`;
}
