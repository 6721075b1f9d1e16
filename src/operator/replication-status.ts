// Reads the replication health of every host: threads, lag, errors and GTID positions.
import { Connection } from 'mysql2/promise';
import { SERVER_POSITIONS, SHOW_CHANNELS } from '../render/statements';
import { Endpoint, Login, queryRows, withConnection } from './sql-client';

export interface ChannelStatus {
  readonly connectionName: string;
  readonly sourceHost: string;
  /** `Yes`, `No` or `Connecting`. */
  readonly ioRunning: string;
  readonly sqlRunning: string;
  /** Seconds behind the source; null while the SQL thread is stopped. */
  readonly secondsBehind: number | null;
  readonly lastIoErrno: number;
  readonly lastIoError: string;
  readonly lastSqlErrno: number;
  readonly lastSqlError: string;
  readonly gtidIoPos: string;
  /** MASTER_DELAY of the connection, in seconds. */
  readonly sqlDelay: number;
  /** Everything the IO thread received has been applied (the relay log's coordinates match). */
  readonly relayApplied: boolean;
}

/** A Galera node's own view of its cluster (global status `wsrep_*`). */
export interface GaleraNodeState {
  /** `Primary`, `non-Primary` or `Disconnected`. */
  readonly clusterStatus: string;
  /** `Synced`, `Donor/Desynced`, `Joining`, `Joined`, ... */
  readonly localState: string;
  readonly clusterSize: number;
  readonly ready: boolean;
  /** The cluster's history: two nodes with different ones are in different clusters. */
  readonly stateUuid: string;
}

export interface HostStatus {
  readonly name: string;
  readonly endpoint: Endpoint;
  readonly reachable: boolean;
  readonly error?: string;
  readonly serverId?: number;
  readonly readOnly?: boolean;
  readonly gtidBinlogPos?: string;
  readonly gtidCurrentPos?: string;
  readonly gtidSlavePos?: string;
  readonly channels: ChannelStatus[];
  /** Set for a Galera node. */
  readonly galera?: GaleraNodeState;
}

export interface NamedEndpoint extends Endpoint {
  readonly name: string;
  /** A Galera node: its wsrep state is read too. */
  readonly galera?: boolean;
}

/** The node's wsrep status, readable by any account. */
export async function readGaleraState(c: Connection): Promise<GaleraNodeState> {
  const rows = await queryRows<any>(c, "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_status', 'wsrep_local_state_comment', 'wsrep_cluster_size', 'wsrep_ready', 'wsrep_cluster_state_uuid')");
  const value = (name: string) => String(rows.find((r) => r.Variable_name === name)?.Value ?? '');
  return {
    clusterStatus: value('wsrep_cluster_status'),
    localState: value('wsrep_local_state_comment'),
    clusterSize: Number(value('wsrep_cluster_size') || 0),
    ready: value('wsrep_ready') === 'ON',
    stateUuid: value('wsrep_cluster_state_uuid'),
  };
}

/** A channel is healthy when both threads run and neither reports an error. */
export function channelHealthy(c: ChannelStatus): boolean {
  return c.ioRunning === 'Yes' && c.sqlRunning === 'Yes' && c.lastIoErrno === 0 && c.lastSqlErrno === 0;
}

export async function readChannels(c: Connection): Promise<ChannelStatus[]> {
  const rows = await queryRows<any>(c, SHOW_CHANNELS);
  return rows.map((r) => ({
    connectionName: r.Connection_name,
    sourceHost: r.Master_Host,
    ioRunning: r.Slave_IO_Running,
    sqlRunning: r.Slave_SQL_Running,
    secondsBehind: r.Seconds_Behind_Master === null ? null : Number(r.Seconds_Behind_Master),
    lastIoErrno: Number(r.Last_IO_Errno),
    lastIoError: r.Last_IO_Error,
    lastSqlErrno: Number(r.Last_SQL_Errno),
    lastSqlError: r.Last_SQL_Error,
    gtidIoPos: r.Gtid_IO_Pos,
    sqlDelay: Number(r.SQL_Delay ?? 0),
    relayApplied: r.Master_Log_File === r.Relay_Master_Log_File && String(r.Read_Master_Log_Pos) === String(r.Exec_Master_Log_Pos),
  }));
}

export async function readHostStatus(host: NamedEndpoint, login: Login): Promise<HostStatus> {
  const endpoint = { host: host.host, port: host.port };
  try {
    return await withConnection(endpoint, login, async (c) => {
      const [vars] = await queryRows<any>(c, SERVER_POSITIONS);
      return {
        name: host.name,
        endpoint,
        reachable: true,
        serverId: Number(vars.serverId),
        readOnly: Number(vars.readOnly) === 1,
        gtidBinlogPos: vars.binlogPos,
        gtidCurrentPos: vars.currentPos,
        gtidSlavePos: vars.slavePos,
        channels: await readChannels(c),
        galera: host.galera ? await readGaleraState(c) : undefined,
      };
    });
  } catch (error) {
    return { name: host.name, endpoint, reachable: false, error: (error as Error).message, channels: [] };
  }
}

export function readClusterStatus(hosts: NamedEndpoint[], login: Login): Promise<HostStatus[]> {
  return Promise.all(hosts.map((h) => readHostStatus(h, login)));
}
