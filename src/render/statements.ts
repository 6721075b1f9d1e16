// Every statement that moves replication, fences a master or waits for a GTID position, built in
// one place: the bootstrap SQL renders them, the operator core (tools and the failover monitor)
// runs them. Pure: strings in, SQL out; a password never appears, only the variable holding it.
import { APPLICATION_USER, REPLICATION_USER, SecretName } from '../model/accounts';
import { secretVariable, sqlString, withSecret } from './sql';

/** MASTER_CONNECT_RETRY when none is given: a lost source is retried every 2 s. */
export const DEFAULT_CONNECT_RETRY_SECONDS = 2;

/** One replication connection, by GTID, logging in as the replication account. */
export interface ChannelSpec {
  /** The connection's name on the replica (the source host's name). */
  readonly name: string;
  /** Where the replica reaches the source: an IP address, so a lost source costs no DNS wait. */
  readonly address: string;
  readonly port: number;
  /** @default 0 */
  readonly delaySeconds?: number;
  /** A master's own GTID domain, which it must never apply back from a peer. */
  readonly ignoreDomain?: number;
  /** @default DEFAULT_CONNECT_RETRY_SECONDS */
  readonly connectRetrySeconds?: number;
}

/**
 * `CHANGE MASTER '<name>' TO ...` by GTID; the password comes from `@secret_replication`, set in
 * the same session (the bootstrap's entrypoint, or the operator core), never from the text.
 * @see https://mariadb.com/kb/en/change-master-to/
 */
export function changeMaster(c: ChannelSpec): string {
  const before = `CHANGE MASTER ${sqlString(c.name)} TO MASTER_HOST=${sqlString(c.address)}, MASTER_PORT=${c.port}, MASTER_USER=${sqlString(REPLICATION_USER)}, MASTER_PASSWORD=`;
  const after = [
    '',
    'MASTER_USE_GTID=slave_pos',
    // Said, not left to the default: from 11.4 a replica asks for TLS, which a 10.11 source without certificates refuses mid-upgrade.
    'MASTER_SSL=0',
    `MASTER_CONNECT_RETRY=${c.connectRetrySeconds ?? DEFAULT_CONNECT_RETRY_SECONDS}`,
    `MASTER_DELAY=${c.delaySeconds ?? 0}`,
    ...(c.ignoreDomain === undefined ? [] : [`IGNORE_DOMAIN_IDS=(${c.ignoreDomain})`]),
  ].join(', ');
  return withSecret(before, SecretName.REPLICATION, after);
}

/** A stopped connection's password, from `@secret_replication` (a rotation). */
export function changeMasterPassword(name: string): string {
  return withSecret(`CHANGE MASTER ${sqlString(name)} TO MASTER_PASSWORD=`, SecretName.REPLICATION);
}

/** Which thread a start or stop acts on: both, or one. */
export enum ReplicationThread {
  BOTH = '',
  /** Receiving: restarting it discards the relay log (MariaDB GTID), so a failover never does. */
  IO = 'IO_THREAD',
  /** Applying what was received. */
  SQL = 'SQL_THREAD',
}

export function startChannel(name: string, thread = ReplicationThread.BOTH): string {
  return `START SLAVE ${sqlString(name)}${thread ? ` ${thread}` : ''}`;
}

export function stopChannel(name: string, thread = ReplicationThread.BOTH): string {
  return `STOP SLAVE ${sqlString(name)}${thread ? ` ${thread}` : ''}`;
}

/** Forgets a stopped connection and its relay log. */
export function resetChannel(name: string): string {
  return `RESET SLAVE ${sqlString(name)} ALL`;
}

export const START_ALL_CHANNELS = 'START ALL SLAVES';
export const STOP_ALL_CHANNELS = 'STOP ALL SLAVES';
export const RESET_ALL_CHANNELS = 'RESET SLAVE ALL';

/** Sets a secret's session variable from its base64 text (the server decodes, so no value breaks out of its quotes). */
export function setSecretFromBase64(secret: SecretName, base64: string): string {
  if (!/^[A-Za-z0-9+/=]*$/.test(base64)) throw new Error('not base64');
  return `SET ${secretVariable(secret)} = FROM_BASE64('${base64}')`;
}

/** The same, with the base64 text as a bound parameter (a client that binds parameters). */
export function setSecretParameter(secret: SecretName): string {
  return `SET ${secretVariable(secret)} = FROM_BASE64(?)`;
}

export function clearSecret(secret: SecretName): string {
  return `SET ${secretVariable(secret)} = NULL`;
}

/**
 * Fencing: with read_only ON no client without READ_ONLY ADMIN commits, and setting it waits for
 * commits in flight (up to `lockWaitSeconds`), so the server's binlog position is final once it returns.
 * @see https://mariadb.com/kb/en/server-system-variables/#read_only
 */
export function setReadOnly(on: boolean, lockWaitSeconds: number): string[] {
  return [`SET SESSION lock_wait_timeout = ${Math.max(1, Math.ceil(lockWaitSeconds))}`, `SET GLOBAL read_only = ${on ? 'ON' : 'OFF'}`];
}

/** Closes every session of the application account, so no client keeps writing to a fenced master. */
export const KILL_APPLICATION_SESSIONS = `KILL CONNECTION USER ${sqlString(APPLICATION_USER)}`;

/**
 * Clears a stopped connection's skip counter. With gtid_ignore_duplicates the applier skips a
 * transaction another connection applied by setting that counter to 1; stopped mid-way, the 1
 * survives the stop, and once a restart discards the relay log (MariaDB GTID) it skips the first
 * transaction fetched again, which nobody applied. CHANGE MASTER clears it (and the relay log)
 * with REPLICATION SLAVE ADMIN; setting the counter would need SUPER.
 */
export function clearSkipCounter(name: string): string {
  return `CHANGE MASTER ${sqlString(name)} TO MASTER_USE_GTID=slave_pos`;
}

/**
 * Starts a connection again after a stop, without a skip the stop may have left: it fetches again
 * from the replica position. Only for a connection whose source answers.
 */
export function resumeChannel(name: string): string[] {
  // Stopping a connection that is already stopped only warns; CHANGE MASTER needs both threads stopped.
  return [stopChannel(name), clearSkipCounter(name), startChannel(name)];
}

/** Where the server's replicas resume from, per GTID domain. */
export function setReplicaPosition(position: string): string {
  return `SET GLOBAL gtid_slave_pos = ${sqlString(position)}`;
}

/**
 * A copy's GTID state: its binary log starts over at `position` (in a new file's GTID list, where
 * peers look it up) and so does its replica position.
 */
export function restartHistoryAt(position: string): string[] {
  return [
    'RESET MASTER',
    `SET GLOBAL gtid_binlog_state = ${sqlString(position)}`,
    'FLUSH BINARY LOGS',
    setReplicaPosition(position),
  ];
}

/** Waits until the server has applied `position` as a replica; answers 0 when it has, -1 on timeout. */
export function waitForReplicaPosition(): string {
  return 'SELECT MASTER_GTID_WAIT(?, ?) AS waited';
}

/** A master's key slot, live. */
export function setKeySlot(increment: number, offset: number): string[] {
  return [`SET GLOBAL auto_increment_increment = ${increment}`, `SET GLOBAL auto_increment_offset = ${offset}`];
}

/** The positions and fence state of a server in one row. */
export const SERVER_POSITIONS = 'SELECT @@server_id AS serverId, @@global.read_only AS readOnly, @@global.gtid_binlog_pos AS binlogPos, @@global.gtid_current_pos AS currentPos, @@global.gtid_slave_pos AS slavePos';

export const SHOW_CHANNELS = 'SHOW ALL SLAVES STATUS';
