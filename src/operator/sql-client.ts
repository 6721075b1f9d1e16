// Connections to cluster hosts through their published addresses.
import { createConnection, Connection } from 'mysql2/promise';

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

export function connect(endpoint: Endpoint, login: Login): Promise<Connection> {
  return createConnection({
    host: endpoint.host,
    port: endpoint.port,
    user: login.user,
    password: login.password,
    database: login.database,
    connectTimeout: CONNECT_TIMEOUT_MS,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
}

/** Opens a connection, runs `work`, and always closes it. */
export async function withConnection<T>(endpoint: Endpoint, login: Login, work: (c: Connection) => Promise<T>): Promise<T> {
  const connection = await connect(endpoint, login);
  try {
    return await work(connection);
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

export async function queryRows<T = Record<string, unknown>>(c: Connection, sql: string, params: unknown[] = []): Promise<T[]> {
  const [rows] = await c.query(sql, params);
  return rows as T[];
}
