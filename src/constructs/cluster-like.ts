// What an endpoint needs from a cluster; lets backends depend on the contract, not the class.
import { IConstruct, ITerraformDependable } from '../cdktf';
import { TopologyPlan } from '../model/plan';
import { ClusterSecrets, HostConnection, IReplicationBackend } from './backend';
import type { EndpointDescription, ClusterDescription } from './replication-cluster';

export interface IReplicationClusterLike extends IConstruct {
  readonly plan: TopologyPlan;
  readonly connections: HostConnection[];
  readonly secrets: ClusterSecrets;
  readonly backend: IReplicationBackend;
  readonly variablePrefix: string;
  readonly passwordRotation: ITerraformDependable;
  attachEndpoint(endpoint: EndpointDescription, activeMaster: string): void;
  describe(): ClusterDescription;
}
