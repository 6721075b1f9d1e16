// The planned topology: every id, offset, domain and replication edge, derived from a TopologySpec.
import { CandidateVerdict } from './candidates';
import { GaleraWriteMode, SstMethod } from './galera-topology';
import { KeyRange, MultiMasterLayout, ReplicaRole, WriteMode } from './topology';

/** Whether a host accepts application writes. */
export enum HostKind {
  MASTER = 'master',
  REPLICA = 'replica',
  /** A Galera node: holds all the data, takes writes, replicates synchronously with its peers. */
  GALERA_NODE = 'galera-node',
}

/** One replication connection: `replica` runs `CHANGE MASTER '<connectionName>'` to `source`. */
export interface ReplicationEdge {
  readonly source: string;
  readonly replica: string;
  /** Multi-source connection name on the replica (the source's host name). */
  readonly connectionName: string;
  readonly delaySeconds: number;
}

/** Everything the renderers need about one host. */
export interface PlannedHost {
  readonly name: string;
  readonly kind: HostKind;
  /** Replica role; undefined for masters. */
  readonly replicaRole?: ReplicaRole;
  readonly serverId: number;
  readonly gtidDomainId: number;
  readonly readOnly: boolean;
  readonly autoIncrementIncrement: number;
  /** Set for writers; replicas keep MariaDB's default because they never write. */
  readonly autoIncrementOffset?: number;
  readonly keyRange?: KeyRange;
  readonly site: string;
  readonly mariadbVersion?: string;
  /** Connections this host replicates through, in a stable order. */
  readonly sources: ReplicationEdge[];
}

/** What makes a planned topology a Galera cluster. */
export interface GaleraPlan {
  /** `wsrep_cluster_name`. */
  readonly clusterName: string;
  /** The data nodes in declaration order. */
  readonly nodes: string[];
  /** The node that starts the cluster when it is first created (and only then). */
  readonly bootstrapNode: string;
  /** The arbitrator's host name, when there is one. */
  readonly arbitrator?: string;
  readonly sstMethod: SstMethod;
  /** `wsrep_gtid_domain_id` of the cluster's transactions. */
  readonly gtidDomainId: number;
  readonly writeMode: GaleraWriteMode;
}

/** The validated, fully planned topology. */
export interface TopologyPlan {
  /** Masters first (declaration order), then replicas. */
  readonly hosts: PlannedHost[];
  readonly writers: string[];
  readonly activeMaster: string;
  readonly writeMode: WriteMode;
  readonly autoIncrementIncrement: number;
  readonly layout: MultiMasterLayout;
  readonly edges: ReplicationEdge[];
  readonly databaseName: string;
  readonly primarySite: string;
  /** Semi-sync acknowledgement timeout between masters; undefined when asynchronous. */
  readonly semiSyncTimeoutMs?: number;
  /** Hosts that may become the active master, in priority order (independent of which is active). */
  readonly candidates: string[];
  /** Why each host may or may not be promoted. */
  readonly candidateVerdicts: CandidateVerdict[];
  /** Legal but risky choices, for synth-time warnings. */
  readonly warnings: string[];
  /** Set when the hosts form a Galera cluster (its nodes are HostKind.GALERA_NODE). */
  readonly galera?: GaleraPlan;
}

/** Looks a host up by name; the plan guarantees names are unique. */
export function hostNamed(plan: TopologyPlan, name: string): PlannedHost {
  const host = plan.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`no host named '${name}' in the plan`);
  return host;
}

/** The plan with one host's replication connections left out (what a running host changes in place). */
export function withoutSources(plan: TopologyPlan, hostName: string): TopologyPlan {
  return { ...plan, hosts: plan.hosts.map((h) => (h.name === hostName ? { ...h, sources: [] } : h)) };
}
