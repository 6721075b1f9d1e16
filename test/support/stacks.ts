// Small stacks for synth tests.
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { TerraformStack, Testing } from 'cdktf';
import { DockerBackend, MariaDbReplicationCluster, MariaDbReplicationClusterProps, WriteMode } from '../../src';
import { ACTIVE_PASSIVE } from './topologies';

export function dockerStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), 'test');
  new DockerProvider(stack, 'docker');
  return stack;
}

export function clusterProps(overrides: Partial<MariaDbReplicationClusterProps> = {}): MariaDbReplicationClusterProps {
  return { ...ACTIVE_PASSIVE, backend: new DockerBackend(), ...overrides };
}

/**
 * Synthesizes one cluster (no endpoint, so every master writable unless asked otherwise) and
 * returns the parsed Terraform JSON.
 */
export function synthCluster(overrides: Partial<MariaDbReplicationClusterProps> = {}): { json: any; text: string; cluster: MariaDbReplicationCluster } {
  const stack = dockerStack();
  const cluster = new MariaDbReplicationCluster(stack, 'shop', clusterProps({ writeMode: WriteMode.EVERY_MASTER, ...overrides }));
  const text = Testing.synth(stack, true);
  return { json: JSON.parse(text), text, cluster };
}
