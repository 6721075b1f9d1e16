// Named operations on one MariaDB server, with their SQL in one place (the tools call these).
import { APPLICATION_USER } from '../model/accounts';
import { sqlString } from '../render/sql';
import { hasReached } from './gtid';
import { Endpoint, Login, queryRows, withConnection } from './sql-client';

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
  const [row] = await withConnection(server, login, (c) => queryRows<any>(c, 'SELECT MASTER_GTID_WAIT(?, ?) AS waited', [position, timeoutSeconds]));
  return Number(row.waited) === 0;
}

/**
 * Fences a master (or lifts the fence): with read_only ON, no client without READ_ONLY ADMIN can
 * commit, and setting it waits for commits in flight, so its binlog position is final once it returns.
 * @see https://mariadb.com/kb/en/server-system-variables/#read_only
 */
export async function setReadOnly(server: Endpoint, login: Login, on: boolean, lockWaitSeconds: number): Promise<void> {
  await withConnection(server, login, async (c) => {
    await c.query(`SET SESSION lock_wait_timeout = ${Math.max(1, Math.ceil(lockWaitSeconds))}`);
    await c.query(`SET GLOBAL read_only = ${on ? 'ON' : 'OFF'}`);
  });
}

/** Closes every session of the application account, so no client keeps a connection to a fenced master. */
export async function killApplicationSessions(server: Endpoint, login: Login): Promise<void> {
  await withConnection(server, login, (c) => c.query(`KILL CONNECTION USER ${sqlString(APPLICATION_USER)}`));
}
