// my.cnf fragment for one host, read after the image's own files so its settings win.
import { SST_USER } from '../model/accounts';
import { HostKind, hostNamed, TopologyPlan } from '../model/plan';

export const MARIADB_PORT = 3306;
export const SERVER_SOCKET = '/run/mysqld/mysqld.sock';

/** Settings shared by every host that are not about topology. */
export interface ServerTuning {
  /**
   * Seconds without data before a replica reconnects; heartbeats run at half of it.
   * @default 10
   */
  readonly replicaNetTimeoutSeconds?: number;
  /**
   * Days of binary logs kept for replicas and point-in-time recovery.
   * @default 7
   */
  readonly binlogRetentionDays?: number;
}

/** Tuning values the server would refuse or misread, each with its property path. */
export function tuningProblems(tuning: ServerTuning = {}): Array<{ property: string; message: string }> {
  const checks: Array<[keyof ServerTuning, number, number]> = [['replicaNetTimeoutSeconds', 1, 31536000], ['binlogRetentionDays', 0, 99]];
  return checks
    .filter(([name, min, max]) => tuning[name] !== undefined && !(Number.isInteger(tuning[name]) && tuning[name]! >= min && tuning[name]! <= max))
    .map(([name, min, max]) => ({ property: `tuning.${name}`, message: `${tuning[name]} is not a whole number in ${min}..${max}` }));
}

/** Masters both wait for and give acknowledgements; replicas never count as an acknowledgement. */
function semiSyncSettings(timeoutMs: number): Array<[string, string | number, string?]> {
  return [
    ['rpl_semi_sync_master_enabled', 'ON', 'a commit returns once another master has it'],
    ['rpl_semi_sync_slave_enabled', 'ON'],
    ['rpl_semi_sync_master_wait_point', 'AFTER_SYNC', 'lossless: nothing is visible before the peer has it'],
    ['rpl_semi_sync_master_timeout', timeoutMs, 'then asynchronous until the peer catches up'],
    ['rpl_semi_sync_master_wait_no_slave', 'OFF', 'a peer that is gone (killed, disconnected) costs no wait; a slow one still does'],
    ['rpl_semi_sync_slave_kill_conn_timeout', 1, 'stopping a connection from a lost master first tries to reach it: 1 s, not 5, of a failover'],
  ];
}

/** One server setting with, where it helps a reader of the file, why it has that value. */
export interface ServerSetting {
  readonly name: string;
  readonly value: string;
  readonly why?: string;
}

/** Where the Galera library is installed in Debian's galera-4 package (and the official image). */
export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';
/** Galera's group communication port (also what the arbitrator listens on). */
export const GALERA_PORT = 4567;

/** The per-node GTID domain for transactions that do not go through Galera (kept apart from the cluster's). */
export function galeraLocalDomain(plan: TopologyPlan, hostName: string): number {
  return plan.galera!.gtidDomainId + 1 + plan.galera!.nodes.indexOf(hostName);
}

/**
 * Galera's own options, each with its reason. A node killed or cut off stops every commit of the
 * cluster until the others drop it from the view: that wait is the write gap of a node loss
 * (6.4 s with the defaults), so silence is noticed in 3 s instead of 5 s.
 */
const GALERA_PROVIDER_OPTIONS: Array<[string, string]> = [
  // Its automatic re-forming waits for exactly the last component's members (a node that left earlier
  // and returns with them blocks it; seen with galera 26.4.23): the monitor restarts the cluster instead.
  ['pc.recovery=FALSE', 'after every node was lost, the monitor (or `mariadb-ha recover`) restarts the cluster from the most advanced node'],
  ['evs.suspect_timeout=PT3S', 'a silent node is dropped after 3 s (default 5 s): writes wait that long when a node dies; 1.5 s dropped a node busy with its incremental transfer under CI load'],
  ['evs.keepalive_period=PT0.3S', 'an idle node says it is alive every 0.3 s (default 1 s), well inside the suspect timeout'],
  ['evs.inactive_check_period=PT0.25S', 'silence is checked every 0.25 s (default 0.5 s), so it is noticed soon after the timeout'],
  ['evs.join_retrans_period=PT0.3S', 'the survivors agree on the new view in one more round of 0.3 s, not 1 s (default), when the first round crossed a peer that had not noticed the loss yet'],
];

/** wsrep settings of a Galera node; `addressOf` gives each node's address on the cluster network. */
function galeraSettings(plan: TopologyPlan, hostName: string, addressOf: (name: string) => string): Array<[string, string | number, string?]> {
  const g = plan.galera!;
  return [
    ['default_storage_engine', 'InnoDB', 'Galera replicates InnoDB tables only'],
    ['innodb_autoinc_lock_mode', 2, 'required by Galera: interleaved, so appliers never wait on a table lock'],
    ['wsrep_on', 'ON'],
    ['wsrep_provider', GALERA_PROVIDER],
    ['wsrep_cluster_name', g.clusterName, 'a node only joins a cluster of this name'],
    ['wsrep_cluster_address', `gcomm://${g.nodes.map(addressOf).join(',')}`, 'every data node; a starting node joins whichever answers'],
    ['wsrep_node_name', hostName],
    ['wsrep_node_address', addressOf(hostName)],
    ['wsrep_sst_method', g.sstMethod],
    ['wsrep_sst_auth', `${SST_USER}:`, 'no password: the state transfer account logs in by unix socket'],
    ['wsrep_auto_increment_control', 'ON', 'Galera sets auto_increment increment and offset from the members, and moves them as members come and go'],
    ['wsrep_gtid_mode', 'ON', 'a transaction has the same GTID on every node, so a replica can move between nodes'],
    ['wsrep_gtid_domain_id', g.gtidDomainId, 'the one domain of the cluster\'s transactions'],
    ['wsrep_provider_options', GALERA_PROVIDER_OPTIONS.map(([option]) => option).join(';'), GALERA_PROVIDER_OPTIONS.map(([option, why]) => `${option}: ${why}`).join('\n# ')],
  ];
}

/** Every setting one host's server runs with, in file order; `addressOf` places Galera peers (default: by host name). */
export function serverSettings(plan: TopologyPlan, hostName: string, tuning: ServerTuning = {}, addressOf: (name: string) => string = (n) => n): ServerSetting[] {
  const host = hostNamed(plan, hostName);
  const isMaster = host.kind === HostKind.MASTER;
  const isNode = host.kind === HostKind.GALERA_NODE;
  const lines: Array<[string, string | number, string?]> = [
    ['bind_address', '0.0.0.0', 'the image default listens on loopback only'],
    ['port', MARIADB_PORT],
    ['socket', SERVER_SOCKET],
    ['skip_name_resolve', 'ON', 'no reverse DNS per connection; accounts match by address'],
    // Kept high on every host: behind the endpoint all clients share its address, so connections
    // dropped before login (a client's, a probe's) would soon lock every client out.
    ['max_connect_errors', 1000000, 'TCP health checks open and drop connections'],
    ['server_id', host.serverId, isNode ? 'the same on every node: the server id in the GTIDs of the cluster\'s transactions'
      : 'unique per host: replication drops events carrying its own id'],
    ['gtid_domain_id', isNode ? galeraLocalDomain(plan, hostName) : host.gtidDomainId, isMaster ? 'one GTID domain per writer'
      : isNode ? 'this node\'s own domain, for what does not go through Galera' : 'never writes'],
    ['log_bin', 'mariadb-bin'],
    ['log_bin_index', 'mariadb-bin.index'],
    ['relay_log', 'relay-bin'],
    ['binlog_format', 'ROW'],
    ['log_slave_updates', 'ON', 'a host passes on what it replicates, so any master can feed a replica'],
    ...(isNode ? [] : [['gtid_ignore_duplicates', 'ON', 'in a mesh the same event arrives by several paths; apply it once']] as Array<[string, string, string]>),
    ['sync_binlog', 1, 'acknowledged commits survive a crash'],
    ['innodb_flush_log_at_trx_commit', 1],
    ['binlog_expire_logs_seconds', (tuning.binlogRetentionDays ?? 7) * 86400],
    ['slave_net_timeout', tuning.replicaNetTimeoutSeconds ?? 10],
    // Replicas never generate keys.
    ...(isMaster ? [
      ['auto_increment_increment', host.autoIncrementIncrement, 'a change is rolled out live by `mariadb-ha writers`, keeping keys disjoint'],
      ['auto_increment_offset', host.autoIncrementOffset ?? 1, 'this writer\'s slot; no two writers share one'],
    ] as Array<[string, number, string]> : []),
    ...(isMaster && plan.semiSyncTimeoutMs !== undefined ? semiSyncSettings(plan.semiSyncTimeoutMs) : []),
    ...(isNode ? galeraSettings(plan, hostName, addressOf) : []),
    ['read_only', host.readOnly ? 'ON' : 'OFF', isNode ? 'every synced node may take writes; the endpoint decides which do'
      : !host.readOnly ? 'every master takes writes (WriteMode.EVERY_MASTER)'
      : isMaster ? 'starts fenced: only the switchover or the failover monitor makes one master writable' : 'replicas refuse application writes'],
    ['report_host', host.name],
  ];
  return lines.map(([name, value, why]) => ({ name, value: String(value), why }));
}

/** Settings a running server takes live (`mariadb-ha writers` sets them): a change restarts nothing. */
export const LIVE_SETTINGS: readonly string[] = ['auto_increment_increment', 'auto_increment_offset'];

/** The settings that need a restart to change, as text: what a host is rebuilt for. */
export function restartSettingsText(plan: TopologyPlan, hostName: string, tuning: ServerTuning = {}, addressOf?: (name: string) => string): string {
  return serverSettings(plan, hostName, tuning, addressOf).filter((s) => !LIVE_SETTINGS.includes(s.name)).map((s) => `${s.name} = ${s.value}`).join('\n');
}

export function renderServerConfig(plan: TopologyPlan, hostName: string, tuning: ServerTuning = {}, addressOf?: (name: string) => string): string {
  const host = hostNamed(plan, hostName);
  const body = serverSettings(plan, hostName, tuning, addressOf).map(({ name, value, why }) => (why ? `# ${why}\n${name} = ${value}` : `${name} = ${value}`));
  const role = host.kind === HostKind.MASTER ? 'master' : host.kind === HostKind.GALERA_NODE ? `Galera node of ${plan.galera!.clusterName}` : `${host.replicaRole} replica`;
  return [`# Rendered by cdktf-mariadb-ha for ${host.name} (${role}); do not edit.`, '[mysqld]', ...body, ''].join('\n');
}
