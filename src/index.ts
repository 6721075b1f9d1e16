// The public API: what users of the construct library call and type against, nothing else.
// Internals (planners, renderers, validation helpers, tools) stay importable by path for tests only.
// jsii carries classes, interfaces and enums to other languages, so constants are static members
// of the classes (`MariaDbReplicationCluster.PORT`), never module-level values.

// Topology: what a user declares, and the plan a cluster exposes.
export {
  KeyColumnType, MultiMasterLayout, ReplicaRole, WriteMode,
} from './model/topology';
export type {
  KeyRange, KeyRangePlan, MasterSpec, PromotionPolicy, ReplicaSpec, SemiSyncOptions, TopologySpec,
} from './model/topology';
export { GaleraWriteMode, SstMethod } from './model/galera-topology';
export type { GaleraArbitratorSpec, GaleraNodeSpec, GaleraTopologySpec } from './model/galera-topology';
export { HostKind } from './model/plan';
export type { CandidateVerdict } from './model/candidates';
export type { GaleraPlan, PlannedHost, ReplicationEdge, TopologyPlan } from './model/plan';
export type { Problem } from './model/problems';
export { SecretName } from './model/accounts';
export type { ServerTuning } from './render/server-config';
export type { WriterHealthCheck } from './render/haproxy-config';
export type { FailoverMonitorOptions } from './render/monitor-config';

// Constructs and the backend contract.
export { MariaDbReplicationCluster } from './constructs/replication-cluster';
export type { ClusterDescription, GaleraDescription, HostDescription, MariaDbReplicationClusterProps } from './constructs/replication-cluster';
export { EndpointKind } from './constructs/endpoint';
export type { EndpointDescription, EndpointInstance, HaproxyEndpointDetails, Route53EndpointDetails, SwitchoverSettings } from './constructs/endpoint';
export { MariaDbGaleraCluster } from './constructs/galera-cluster';
export type { MariaDbGaleraClusterProps } from './constructs/galera-cluster';
export type { ClusterCredentials } from './constructs/credentials';
export type { ClusterNetwork, ClusterPlacement, ClusterSecrets, HostConnection, HostFiles, IReplicationBackend } from './constructs/backend';
export type { IReplicationClusterLike } from './constructs/cluster-like';

// Local Docker.
export { DockerBackend } from './backends/docker/docker-backend';
export type { DockerBackendProps } from './backends/docker/docker-backend';
export { MariaDbImage } from './backends/docker/image';
export { HaproxyWriterEndpoint } from './backends/docker/haproxy-endpoint';
export type { HaproxyWriterEndpointProps, VirtualIpOptions } from './backends/docker/haproxy-endpoint';
export { GaleraWriterEndpoint } from './backends/docker/galera-endpoint';
export type { GaleraWriterEndpointProps } from './backends/docker/galera-endpoint';

// AWS (needs the optional peer @cdktf/provider-aws).
export { AwsBackend } from './backends/aws/aws-backend';
export type { AwsBackendProps } from './backends/aws/aws-backend';
export { Route53WriterEndpoint } from './backends/aws/route53-endpoint';
export type { Route53WriterEndpointProps } from './backends/aws/route53-endpoint';
export { Route53HealthCheckType } from './backends/aws/failover-timing';
export type { Route53HealthCheckOptions } from './backends/aws/failover-timing';
