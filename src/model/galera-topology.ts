// What a user declares for a Galera cluster: synchronous multi-primary nodes, an optional
// arbitrator, asynchronous replicas fed from a node. Pure data, no cdktf.
import { ReplicaSpec } from './topology';

/** How a joining node receives a full copy of the data (State Snapshot Transfer). */
export enum SstMethod {
  /**
   * mariabackup: the donor keeps taking reads and writes while it streams a hot backup.
   * @see https://mariadb.com/kb/en/mariabackup-sst-method/
   */
  MARIABACKUP = 'mariabackup',
  /**
   * rsync: quick for small data sets, but the donor blocks writes for the whole copy.
   * @see https://mariadb.com/kb/en/introduction-to-state-snapshot-transfers-ssts/#rsync
   */
  RSYNC = 'rsync',
}

/** Which nodes the writer endpoint sends writes to. */
export enum GaleraWriteMode {
  /**
   * One node at a time (the first healthy one in declaration order, kept until it fails): no
   * certification conflicts between nodes, any schema works.
   */
  ONE_NODE = 'one-node',
  /**
   * Every synced node takes writes: more write capacity, but transactions that touch the same rows
   * on two nodes fail at commit with a deadlock error (1213) the application must retry.
   */
  ALL_NODES = 'all-nodes',
}

/** A Galera node: holds all the data and takes writes. */
export interface GaleraNodeSpec {
  /** Host name: lower-case letters, digits and '-', starting with a letter; unique in the cluster. */
  readonly name: string;
}

/**
 * The Galera arbitrator (`garbd`): a member that votes for quorum and holds no data, so an even
 * number of nodes survives the loss of half of them.
 * @see https://mariadb.com/kb/en/galera-arbitrator/
 */
export interface GaleraArbitratorSpec {
  /** Host name: lower-case letters, digits and '-', starting with a letter; unique in the cluster. */
  readonly name: string;
}

/** The whole Galera topology. */
export interface GaleraTopologySpec {
  /**
   * The data nodes, in a stable order: the first one bootstraps the cluster when it is first
   * created, and the writer endpoint prefers them in this order. At least three voters in all
   * (nodes plus arbitrator), an odd number of them.
   */
  readonly nodes: GaleraNodeSpec[];
  /**
   * `wsrep_cluster_name`: nodes only join a cluster of this name.
   * @default - the construct id
   * @see https://mariadb.com/kb/en/galera-cluster-system-variables/#wsrep_cluster_name
   */
  readonly clusterName?: string;
  /**
   * An arbitrator, so an even number of nodes has an odd number of voters.
   * @default - none
   */
  readonly arbitrator?: GaleraArbitratorSpec;
  /**
   * How a joining node receives the data.
   * @default SstMethod.MARIABACKUP
   * @see https://mariadb.com/kb/en/galera-cluster-system-variables/#wsrep_sst_method
   */
  readonly sstMethod?: SstMethod;
  /**
   * Which nodes the writer endpoint sends writes to.
   * @default GaleraWriteMode.ONE_NODE
   */
  readonly writeMode?: GaleraWriteMode;
  /**
   * Allow an even number of voters (a network split into halves then stops the whole cluster).
   * @default false
   */
  readonly allowEvenVoters?: boolean;
  /**
   * Asynchronous read-only replicas, each fed from a node (or another replica); with a node as
   * source it is re-pointed to another node by GTID when its node is lost.
   * @default []
   */
  readonly replicas?: ReplicaSpec[];
  /**
   * `wsrep_gtid_domain_id`: the one GTID domain every node writes the cluster's transactions in,
   * so a transaction has the same GTID on every node and a replica can move between nodes.
   * @default 1
   * @see https://mariadb.com/kb/en/using-mariadb-gtids-with-mariadb-galera-cluster/
   */
  readonly gtidDomainId?: number;
  /**
   * `default_storage_engine`; Galera replicates InnoDB only, so nothing else is accepted.
   * @default 'InnoDB'
   */
  readonly defaultStorageEngine?: string;
  /**
   * The application database created on every node, with an application account.
   * @default 'app'
   */
  readonly databaseName?: string;
}
