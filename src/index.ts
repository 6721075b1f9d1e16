export * from './model';
export { SecretName, REPLICATION_USER, MONITOR_USER, APPLICATION_USER } from './model/accounts';
export type { ServerTuning } from './render/server-config';
export * from './constructs/backend';
export * from './constructs/credentials';
export * from './constructs/replication-cluster';
export * from './backends/docker/docker-backend';
export * from './backends/docker/image';
export { DOCKER_PROVIDER_CONSTRAINT } from './backends/docker/provider';
