// What an endpoint needs from a cluster; lets backends depend on the contract, not the class.
import { IConstruct, ITerraformDependable } from '../cdktf';
import { TopologyPlan } from '../model/plan';
import { ClusterSecrets, HostConnection, IReplicationBackend } from './backend';
import type { ClusterDescription } from './replication-cluster';
import type { EndpointDescription } from './endpoint';

export interface IReplicationClusterLike extends IConstruct {
  readonly plan: TopologyPlan;
  readonly connections: HostConnection[];
  readonly secrets: ClusterSecrets;
  readonly backend: IReplicationBackend;
  readonly variablePrefix: string;
  readonly passwordRotation: ITerraformDependable;
  /**
   * Tells the cluster its writer endpoint; `activeMaster` is the endpoint's reference to the
   * active master, and a master leaving the cluster does so before `switchover` runs.
   */
  attachEndpoint(endpoint: EndpointDescription, activeMaster: string, switchover?: ITerraformDependable): void;
  describe(): ClusterDescription;
}
