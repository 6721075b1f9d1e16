// The contract between the public constructs and a backend that places hosts (Docker, AWS).
import { Construct } from '../cdktf';
import { Problem } from '../model/problems';
import { TopologyPlan } from '../model/plan';

/** The rendered files one host runs with. */
export interface HostFiles {
  readonly hostName: string;
  readonly serverConfig: string;
  readonly bootstrapSql: string;
  readonly entrypoint: string;
  /**
   * What the host is rebuilt for when it changes: its files without what is changed on the running
   * host (a replica's replication connections, which `mariadb-ha repoint` moves in place).
   */
  readonly replaceOnChange: string;
}

/** Secret values (normally references to sensitive variables), keyed by SecretName. */
export interface ClusterSecrets {
  readonly root: string;
  readonly replication: string;
  readonly monitor: string;
  readonly operator: string;
  readonly application: string;
}

/** Network facts the renderers need, decided by the backend. */
export interface ClusterNetwork {
  /** MariaDB account host pattern for the client network, e.g. `10.213.0.0/255.255.255.0`. */
  readonly clientNetworkHost: string;
  /**
   * MariaDB account hosts of the operator account (fences, promotes, closes sessions): where the
   * failover monitor and the tools connect from.
   * @default - [clientNetworkHost]
   */
  readonly operatorAccountHosts?: string[];
  /** Address each host is reached at by the other hosts. */
  readonly hostAddresses: { [hostName: string]: string };
  /**
   * Address a replica connects to its source at, when it differs from `hostAddresses`: an IP
   * address, so that a replica whose source is lost costs no name lookup (a stopped connection
   * waits out a name lookup that cannot answer).
   * @default - hostAddresses
   */
  readonly replicationAddresses?: { [hostName: string]: string };
  /**
   * Tools reach each host's shell (`docker exec <backendName>`) for what they do as root:
   * password rotation, re-pointing replicas, key slots, a master leaving.
   * @default true
   */
  readonly hostShell?: boolean;
}

/** Where clients outside the cluster reach one host. */
export interface HostConnection {
  readonly hostName: string;
  /** Address to connect to, e.g. `127.0.0.1` for a published Docker port. */
  readonly address: string;
  readonly port: number;
  /** The backend's own name for the host (container name, instance id). */
  readonly backendName: string;
  /** The host's address on the cluster network, for endpoints and proxies on that network. */
  readonly networkAddress: string;
}

/** Everything a backend is asked to place. */
export interface ClusterPlacement {
  readonly plan: TopologyPlan;
  readonly files: HostFiles[];
  readonly secrets: ClusterSecrets;
}

/** A place to run the cluster's hosts. */
export interface IReplicationBackend {
  /**
   * Problems with the backend's own settings, reported together with the topology's; `scope` is
   * the cluster, so clashes with other clusters in its stack are found too.
   */
  validate(scope: Construct, plan?: TopologyPlan): Problem[];
  /** Network facts for the renderers. */
  network(plan: TopologyPlan): ClusterNetwork;
  /** Creates the resources for every host under `scope`. */
  place(scope: Construct, placement: ClusterPlacement): HostConnection[];
}
