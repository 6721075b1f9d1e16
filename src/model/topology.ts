// What a user declares: hosts and their roles. Pure data, no cdktf; the constructs take these as props.

/** What a replica is for; decides read-only and, later, whether it may ever be promoted. */
export enum ReplicaRole {
  /** Long analytical queries; never promoted unless explicitly allowed. */
  ANALYTICS = 'analytics',
  /** Source for backups; never promoted unless explicitly allowed. */
  BACKUP = 'backup',
  /** A general read replica. */
  READ = 'read',
}

/** Which masters take application writes. */
export enum WriteMode {
  /**
   * One writer at a time: every master starts read-only, and only the switchover or the failover
   * monitor of a writer endpoint makes exactly one writable. Safe for any schema.
   */
  ONE_WRITER = 'one-writer',
  /**
   * Every master is writable, always: an N-writer mesh whose application spreads writes, with a
   * schema designed for it (disjoint keys, no row updated on two masters).
   */
  EVERY_MASTER = 'every-master',
}

/** How more than two writers replicate among themselves. */
export enum MultiMasterLayout {
  /** Every writer replicates directly from every other writer (survives any single loss). */
  MESH = 'mesh',
  /** Each writer replicates from the previous one; one lost writer stops the ring downstream. */
  RING = 'ring',
}

/** An inclusive range of primary-key values one writer owns for its inserts. */
export interface KeyRange {
  /** First key this writer may insert. */
  readonly start: number;
  /** Last key this writer may insert (inclusive). */
  readonly end: number;
}

/** The type of the primary-key column that key ranges are drawn for; ranges must fit it. */
export enum KeyColumnType {
  /** INT, up to 2,147,483,647. */
  INT = 'int',
  /** INT UNSIGNED, up to 4,294,967,295. */
  INT_UNSIGNED = 'int-unsigned',
  /** BIGINT (signed or not); ranges stay within 2^53 - 1 so every client language holds them exactly. */
  BIGINT = 'bigint',
}

/** Largest key each column type holds. */
export const KEY_COLUMN_MAX: Record<KeyColumnType, number> = {
  [KeyColumnType.INT]: 2147483647,
  [KeyColumnType.INT_UNSIGNED]: 4294967295,
  [KeyColumnType.BIGINT]: Number.MAX_SAFE_INTEGER,
};

/**
 * Plans equal, adjacent key ranges for every writer in declaration order. Ranges are advisory:
 * MariaDB does not enforce them, so the application draws keys from its writer's range.
 */
export interface KeyRangePlan {
  /**
   * First key of the first writer's range.
   * @default 1
   */
  readonly firstKey?: number;
  /** How many keys each writer owns. */
  readonly keysPerWriter: number;
  /**
   * The key column's type; every range must fit in it.
   * @default KeyColumnType.BIGINT
   */
  readonly keyColumnType?: KeyColumnType;
}

/** A master: accepts writes, replicates from the other masters. */
export interface MasterSpec {
  /** Host name: lower-case letters, digits and '-', starting with a letter; unique in the cluster. */
  readonly name: string;
  /**
   * MariaDB `server_id`, unique across every host.
   * @default - position among the masters + 1
   * @see https://mariadb.com/kb/en/replication-and-binary-log-system-variables/#server_id
   */
  readonly serverId?: number;
  /**
   * `auto_increment_offset` of this writer.
   * @default - position among the masters + 1
   * @see https://mariadb.com/kb/en/replication-and-binary-log-system-variables/#auto_increment_offset
   */
  readonly autoIncrementOffset?: number;
  /**
   * `gtid_domain_id` of this writer; one domain per writer keeps GTID streams independent.
   * @default - position among the masters + 1
   * @see https://mariadb.com/kb/en/gtid/#gtid_domain_id
   */
  readonly gtidDomainId?: number;
  /**
   * Primary-key range this writer owns for inserts (all writers or none).
   * @default - none, unless the cluster has a `keyRangePlan`
   */
  readonly keyRange?: KeyRange;
  /**
   * Site (data centre, availability zone) the host runs in; hosts outside `primarySite` are DR
   * hosts, never promoted unless explicitly allowed.
   * @default - the cluster's primary site
   */
  readonly site?: string;
  /**
   * MariaDB version the host runs, e.g. `10.11.9`; a host newer than the active master is never
   * promoted unless explicitly allowed (older replicas may not read a newer master's binlog).
   * @default - the same version as every other host
   */
  readonly mariadbVersion?: string;
}

/** A read-only replica that follows one host. */
export interface ReplicaSpec {
  /** Host name: lower-case letters, digits and '-', starting with a letter; unique in the cluster. */
  readonly name: string;
  /** Name of the host it replicates from (a master, or another replica). */
  readonly source: string;
  /**
   * What the replica is for.
   * @default ReplicaRole.ANALYTICS
   */
  readonly role?: ReplicaRole;
  /**
   * MariaDB `server_id`, unique across every host.
   * @default - 100 + position among the replicas + 1
   */
  readonly serverId?: number;
  /**
   * Seconds the replica stays behind its source (`MASTER_DELAY`).
   * @default 0
   * @see https://mariadb.com/kb/en/delayed-replication/
   */
  readonly delaySeconds?: number;
  /**
   * Site (data centre, availability zone) the host runs in; hosts outside `primarySite` are DR
   * hosts, never promoted unless explicitly allowed.
   * @default - the cluster's primary site
   */
  readonly site?: string;
  /**
   * MariaDB version the host runs, e.g. `10.11.9`; a host newer than the active master is never
   * promoted unless explicitly allowed (older replicas may not read a newer master's binlog).
   * @default - the same version as every other host
   */
  readonly mariadbVersion?: string;
}

/**
 * Which hosts may become the active master (by switchover or when the endpoint fails over).
 * Replicas are never candidates: they follow one source and own no auto-increment slot.
 */
export interface PromotionPolicy {
  /**
   * Whitelist, in priority order: only these hosts may become active.
   * @default - every master, in declaration order
   */
  readonly candidates?: string[];
  /**
   * Blacklist: these hosts never become active.
   * @default []
   */
  readonly excluded?: string[];
  /**
   * Hosts allowed despite being in a DR site or running a newer version.
   * @default []
   */
  readonly allowRisky?: string[];
}

/** Semi-synchronous replication between the masters. */
export interface SemiSyncOptions {
  /**
   * Milliseconds a commit waits for the peer master's acknowledgement before the master falls back
   * to asynchronous replication (once, until the peer catches up again). The first commit after the
   * peer is lost waits this long.
   * @default 1000
   * @see https://mariadb.com/kb/en/semisynchronous-replication/#rpl_semi_sync_master_timeout
   */
  readonly timeoutMs?: number;
}

/** The whole replication topology. */
export interface TopologySpec {
  /** The masters, in a stable order: their position plans ids and offsets. At least two. */
  readonly masters: MasterSpec[];
  /**
   * The master the writer endpoint sends writes to. Changing it is the switchover.
   * @default - the first master
   */
  readonly activeMaster?: string;
  /**
   * Which masters take application writes. ONE_WRITER needs a writer endpoint, whose monitor
   * makes one master writable.
   * @default WriteMode.ONE_WRITER
   */
  readonly writeMode?: WriteMode;
  /**
   * Read-only replicas.
   * @default []
   */
  readonly replicas?: ReplicaSpec[];
  /**
   * `auto_increment_increment` on every host; at least the number of writers.
   * A larger value leaves room to add writers without touching existing ones.
   * @default - the number of masters
   * @see https://mariadb.com/kb/en/replication-and-binary-log-system-variables/#auto_increment_increment
   */
  readonly autoIncrementIncrement?: number;
  /**
   * How three or more masters replicate among themselves.
   * @default MultiMasterLayout.MESH
   */
  readonly layout?: MultiMasterLayout;
  /**
   * Plans a key range for every writer; exclusive with per-master `keyRange`.
   * @default - no key ranges
   */
  readonly keyRangePlan?: KeyRangePlan;
  /**
   * Semi-synchronous replication between the masters (AFTER_SYNC): a commit is acknowledged only
   * once another master has it, so acknowledged writes survive the loss of the active master.
   * @default - asynchronous
   */
  readonly semiSync?: SemiSyncOptions;
  /**
   * Site of the active master; masters elsewhere are DR hosts.
   * @default - the active master's `site`, or 'primary'
   */
  readonly primarySite?: string;
  /**
   * Promotion candidates: whitelist, blacklist and risky hosts explicitly allowed.
   * @default - every master in the primary site that does not run a newer version
   */
  readonly promotion?: PromotionPolicy;
  /**
   * The application database created on every host, with an application account.
   * @default 'app'
   */
  readonly databaseName?: string;
}
