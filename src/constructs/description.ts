// What a cluster tells the tools about itself (no secrets), as its `<id>_cluster` Terraform output:
// the contract between the constructs and the operator core. Pure: no cdktf.
import { HostKind } from '../model/plan';
import { WriteMode } from '../model/topology';
import type { EndpointDescription } from './endpoint';

/** What the cluster tells tools and tests about itself (no secrets), as a Terraform output. */
export interface ClusterDescription {
  readonly cluster: string;
  /** The declared active master (the endpoint may have failed over since). */
  readonly activeMaster: string;
  readonly writers: string[];
  /** `one-writer` (masters read-only but the one the endpoint writes to) or `every-master`. */
  readonly writeMode: WriteMode;
  /** Promotion candidates in priority order. */
  readonly candidates: string[];
  readonly databaseName: string;
  /** MariaDB account host the network accounts are created for, e.g. `10.213.0.0/255.255.255.0`. */
  readonly accountHost: string;
  /** Account hosts of the operator account, when narrower than `accountHost` (the monitor's and the tools' addresses). */
  readonly operatorAccountHosts?: string[];
  /** How tools reach a host's shell: `docker` (docker exec into its container) or `none`. */
  readonly hostAccess: string;
  readonly semiSync: boolean;
  readonly endpoint?: EndpointDescription;
  readonly hosts: HostDescription[];
  /** Set for a Galera cluster. */
  readonly galera?: GaleraDescription;
}

/** What the tools know of a Galera cluster beyond its hosts. */
export interface GaleraDescription {
  /** `wsrep_cluster_name`. */
  readonly clusterName: string;
  /** The data nodes in declaration order. */
  readonly nodes: string[];
  /** The node that started the cluster when it was created. */
  readonly bootstrapNode: string;
  /** The arbitrator's host name, when there is one. */
  readonly arbitrator?: string;
  /** Members that vote: the nodes and the arbitrator. */
  readonly voters: number;
  /** `one-node` or `all-nodes`: which nodes the endpoint sends writes to. */
  readonly writeMode: string;
}

/** One host as tools see it: identity, sources and where it is reached. */
export interface HostDescription {
  readonly name: string;
  readonly kind: HostKind;
  readonly role: string;
  readonly serverId: number;
  readonly gtidDomainId: number;
  readonly sources: string[];
  /** Address clients outside the cluster connect to, e.g. `127.0.0.1`. */
  readonly address: string;
  readonly port: number;
  /** Address its replicas and peers connect to (port 3306), on the cluster's network. */
  readonly replicationAddress: string;
  /** The backend's own name for the host (container name, instance id). */
  readonly backendName: string;
  /** MASTER_DELAY of its replication connections, in seconds (0 for masters). */
  readonly delaySeconds: number;
  /** Server settings the host runs with (its config file, without comments); a change restarts it. */
  readonly settings: { [name: string]: string };
  /** The MariaDB version the host declares, when it declares one; a change re-creates it on that version's image. */
  readonly mariadbVersion?: string;
}

/** `ClusterDescription.hostAccess` of a cluster whose hosts the tools reach by `docker exec`. */
export const HOST_ACCESS_DOCKER = 'docker';
/** `ClusterDescription.hostAccess` of a cluster whose hosts the tools cannot reach yet. */
export const HOST_ACCESS_NONE = 'none';

