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

/** Plans equal, adjacent key ranges for every writer in declaration order. */
export interface KeyRangePlan {
  /**
   * First key of the first writer's range.
   * @default 1
   */
  readonly firstKey?: number;
  /** How many keys each writer owns. */
  readonly keysPerWriter: number;
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
   * The application database created on every host, with an application account.
   * @default 'app'
   */
  readonly databaseName?: string;
}
