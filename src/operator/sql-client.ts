// The SQL client of the operator core, with its two ways to a server: over the network as one of
// the cluster's accounts (mysql2), or as root through the server's socket on its host (the host
// access, statements on stdin). Statements come from render/statements; secrets travel on stdin or
// as bound parameters, never in a process's arguments or in a log line.
import { createConnection, Connection } from 'mysql2/promise';
import { execChecked, HostAccess } from '../backends/host-access';
import { SecretName } from '../model/accounts';
import { SERVER_SOCKET } from '../render/server-config';
import { clearSecret, setSecretFromBase64, setSecretParameter } from '../render/statements';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export interface Login {
  readonly user: string;
  readonly password: string;
  readonly database?: string;
}

export const CONNECT_TIMEOUT_MS = 3000;

export function connect(endpoint: Endpoint, login: Login, connectTimeoutMs = CONNECT_TIMEOUT_MS): Promise<Connection> {
  return createConnection({
    host: endpoint.host,
    port: endpoint.port,
    user: login.user,
    password: login.password,
    database: login.database,
    connectTimeout: connectTimeoutMs,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
}

/**
 * Opens a connection, runs `work`, and always closes it. With `timeoutMs`, a server that stops
 * answering (frozen, cut off: its kernel keeps the connection open) fails the work, or its close,
 * then, and the connection is dropped rather than closed politely, which would wait for it too.
 */
export async function withConnection<T>(endpoint: Endpoint, login: Login, work: (c: Connection) => Promise<T>, timeoutMs?: number): Promise<T> {
  const connection = await connect(endpoint, login);
  let timer: NodeJS.Timeout | undefined;
  let silent = false;
  const deadline = new Promise<never>((_, reject) => {
    if (timeoutMs === undefined) return;
    timer = setTimeout(() => {
      silent = true;
      connection.destroy();
      reject(new Error(`${endpoint.host}:${endpoint.port} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  const close = async () => (silent ? connection.destroy() : connection.end().catch(() => connection.destroy()));
  try {
    return await Promise.race([work(connection), deadline]);
  } finally {
    // Within the deadline too: a server frozen right after the work never answers the polite QUIT.
    await Promise.race([close(), deadline]).catch(() => undefined);
    clearTimeout(timer);
  }
}

export async function queryRows<T = Record<string, unknown>>(c: Connection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [rows] = await c.query(sql, params);
  return rows as T[];
}

/** Runs statements in order on an open connection, with the given secrets set for them and cleared after. */
export async function runStatements(c: Connection, statements: string[], secrets: Secrets = {}): Promise<void> {
  const names = Object.keys(secrets) as SecretName[];
  // A bound parameter of a prepared statement: an error carries the statement's text, never the value.
  for (const name of names) await c.execute(setSecretParameter(name), [Buffer.from(secrets[name]!).toString('base64')]);
  try {
    for (const statement of statements) await c.query(statement);
  } finally {
    for (const name of names) await c.query(clearSecret(name)).catch(() => undefined);
  }
}

/** Secret values a batch of statements refers to by variable (`@secret_<name>`). */
export type Secrets = Partial<Record<SecretName, string>>;

/**
 * Statements run as root through the server's socket on its host; the statements and the secrets
 * (base64, decoded by the server) go on stdin. Returns the output, tab-separated, without headers.
 */
export async function rootSql(access: HostAccess, host: string, statements: string[], secrets: Secrets = {}): Promise<string> {
  const names = Object.keys(secrets) as SecretName[];
  const input = [
    ...names.map((name) => setSecretFromBase64(name, Buffer.from(secrets[name]!).toString('base64'))),
    ...statements,
  ].map((s) => `${s.replace(/;\s*$/, '')};\n`).join('');
  const result = await execChecked(access, host, ['mariadb', `--socket=${SERVER_SOCKET}`, '--user=root', '--batch', '--skip-column-names'], { input, timeoutMs: 60_000 });
  return result.stdout;
}

/** One query as root on a host, its rows as objects by column name. */
export async function rootQuery<T = Record<string, string>>(access: HostAccess, host: string, sql: string): Promise<T[]> {
  const result = await execChecked(access, host, ['mariadb', `--socket=${SERVER_SOCKET}`, '--user=root', '--batch'], { input: `${sql};\n`, timeoutMs: 60_000 });
  const [header, ...rows] = result.stdout.split('\n').filter((l) => l !== '');
  if (!header) return [];
  const columns = header.split('\t');
  return rows.map((r) => Object.fromEntries(r.split('\t').map((v, i) => [columns[i], v])) as T);
}
