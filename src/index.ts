// The public API: what users of the construct library call and type against, nothing else.
// Internals (planners, renderers, validation helpers, tools) stay importable by path for tests only.

// Topology: what a user declares, and the plan a cluster exposes.
export {
  KeyColumnType, MultiMasterLayout, ReplicaRole, WriteMode,
} from './model/topology';
export type {
  KeyRange, KeyRangePlan, MasterSpec, PromotionPolicy, ReplicaSpec, SemiSyncOptions, TopologySpec,
} from './model/topology';
export { HostKind } from './model/plan';
export type { PlannedHost, ReplicationEdge, TopologyPlan } from './model/plan';
export { TopologyError } from './model/problems';
export type { Problem } from './model/problems';
export { APPLICATION_USER, MONITOR_USER, OPERATOR_USER, REPLICATION_USER, SecretName } from './model/accounts';
export { MARIADB_PORT } from './render/server-config';
export type { ServerTuning } from './render/server-config';
export type { WriterHealthCheck } from './render/haproxy-config';
export type { FailoverMonitorOptions } from './render/monitor-script';

// Constructs and the backend contract.
export { MariaDbReplicationCluster } from './constructs/replication-cluster';
export type { ClusterDescription, EndpointDescription, EndpointInstance, MariaDbReplicationClusterProps } from './constructs/replication-cluster';
export { MAX_REPLICATION_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './constructs/credentials';
export type { ClusterCredentials } from './constructs/credentials';
export type { ClusterNetwork, ClusterPlacement, ClusterSecrets, HostConnection, HostFiles, IReplicationBackend } from './constructs/backend';
export type { ReplicationClusterLike } from './constructs/cluster-like';

// Local Docker.
export { DEFAULT_HOST_PORT_BASE, DEFAULT_SUBNET, DockerBackend } from './backends/docker/docker-backend';
export type { DockerBackendProps } from './backends/docker/docker-backend';
export { MariaDbImage, PROJECT_MARIADB_IMAGE } from './backends/docker/image';
export { DOCKER_PROVIDER_CONSTRAINT } from './backends/docker/provider';
export { DEFAULT_ENDPOINT_PORT, HaproxyWriterEndpoint, PROJECT_HAPROXY_IMAGE } from './backends/docker/haproxy-endpoint';
export type { HaproxyWriterEndpointProps, SwitchoverSettings, VirtualIpOptions } from './backends/docker/haproxy-endpoint';
