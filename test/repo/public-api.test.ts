// The package exports what users call and nothing else: internals (planners, renderers, validation
// helpers, tools) stay private, so they can change without breaking anyone.
import * as api from '../../src';

describe('public API', () => {
  test('the index exports exactly the public values', () => {
    expect(Object.keys(api).sort()).toEqual([
      'APPLICATION_USER', 'DEFAULT_ENDPOINT_PORT', 'DEFAULT_HOST_PORT_BASE', 'DEFAULT_SUBNET', 'DOCKER_PROVIDER_CONSTRAINT',
      'DockerBackend', 'HaproxyWriterEndpoint', 'HostKind', 'KeyColumnType', 'MARIADB_PORT', 'MAX_REPLICATION_PASSWORD_LENGTH',
      'MIN_PASSWORD_LENGTH', 'MONITOR_USER', 'MariaDbImage', 'MariaDbReplicationCluster', 'MultiMasterLayout', 'OPERATOR_USER',
      'PROJECT_HAPROXY_IMAGE', 'PROJECT_MARIADB_IMAGE', 'REPLICATION_USER', 'ReplicaRole', 'SecretName', 'TopologyError', 'WriteMode',
    ]);
  });

  test.each(['writerEdges', 'planTopologyOrThrow', 'resolveCredentials', 'throwIfProblems', 'credentialProblems', 'TerraformData'])('%s is not exported', (name) => {
    expect(name in api).toBe(false);
  });
});
