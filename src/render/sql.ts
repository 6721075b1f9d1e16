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

/**
 * A Galera node's state as one line, `<wsrep_reject_queries> <wsrep_cluster_status> <wsrep_local_state>`,
 * readable by any account; `quote` is the SQL string quote the enclosing shell word leaves free.
 * @see https://mariadb.com/kb/en/galera-cluster-status-variables/
 */
export function galeraStateQuery(quote: "'" | '"'): string {
  const status = (variable: string) => `(SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = ${quote}${variable}${quote})`;
  return `SELECT CONCAT_WS(${quote} ${quote}, @@wsrep_reject_queries, ${status('WSREP_CLUSTER_STATUS')}, ${status('WSREP_LOCAL_STATE')})`;
}

/** The answer of a synced member of the primary component that takes queries. */
export const GALERA_SYNCED = 'NONE Primary 4';
/** The answer of such a member while it donates a state transfer. */
export const GALERA_DONOR = 'NONE Primary 2';
