// Named operations on one MariaDB server over the network, as one of the cluster's accounts; their
// SQL comes from render/statements (the tools and the monitor call these).
import * as statements from '../render/statements';
import { hasReached } from './gtid';
import { Endpoint, Login, queryRows, runStatements, Secrets, withConnection } from './sql-client';

/** The server's own binary log position per GTID domain: everything it has committed or relayed. */
export async function gtidBinlogPos(server: Endpoint, login: Login): Promise<string> {
  const [row] = await withConnection(server, login, (c) => queryRows<any>(c, 'SELECT @@global.gtid_binlog_pos AS pos'));
  return row.pos;
}

/**
 * Waits until the server's binary log holds `position` (everything it committed or applied, by
 * whatever route: a Galera node has no replication position to wait on); false when `timeoutSeconds` pass first.
 */
export async function waitForBinlogGtid(server: Endpoint, login: Login, position: string, timeoutSeconds: number): Promise<boolean> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    if (hasReached(await gtidBinlogPos(server, login), position)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the server has applied `position` as a replica (MASTER_GTID_WAIT); false when `timeoutSeconds` pass first. */
export async function waitForGtid(server: Endpoint, login: Login, position: string, timeoutSeconds: number): Promise<boolean> {
  const [row] = await withConnection(server, login, (c) => queryRows<any>(c, statements.waitForReplicaPosition(), [position, timeoutSeconds]));
  return Number(row.waited) === 0;
}

/** Fences a master (or lifts the fence); see statements.setReadOnly. */
export async function setReadOnly(server: Endpoint, login: Login, on: boolean, lockWaitSeconds: number): Promise<void> {
  await runOn(server, login, statements.setReadOnly(on, lockWaitSeconds));
}

/** Closes every session of the application account, so no client keeps a connection to a fenced master. */
export async function killApplicationSessions(server: Endpoint, login: Login): Promise<void> {
  await runOn(server, login, [statements.KILL_APPLICATION_SESSIONS]);
}

/** Fences a master: read-only (commits in flight finish), then its application sessions closed. */
export async function fence(server: Endpoint, login: Login, lockWaitSeconds: number): Promise<void> {
  await runOn(server, login, [...statements.setReadOnly(true, lockWaitSeconds), statements.KILL_APPLICATION_SESSIONS]);
}

/** Runs statements on a server in one session, the given secrets set for them; bounded by `timeoutMs` when given. */
export async function runOn(server: Endpoint, login: Login, sql: string[], secrets: Secrets = {}, timeoutMs?: number): Promise<void> {
  await withConnection(server, login, (c) => runStatements(c, sql, secrets), timeoutMs);
}
