// The package exports what users call and nothing else: internals (planners, renderers, validation
// helpers, tools) stay private, so they can change without breaking anyone.
import * as api from '../../src';

describe('public API', () => {
  test('the index exports exactly the public values', () => {
    expect(Object.keys(api).sort()).toEqual([
      'AwsBackend', 'DockerBackend', 'EndpointKind', 'GaleraWriteMode', 'GaleraWriterEndpoint', 'HaproxyWriterEndpoint', 'HostKind', 'KeyColumnType',
      'MariaDbGaleraCluster', 'MariaDbImage', 'MariaDbReplicationCluster', 'MultiMasterLayout', 'ReplicaRole', 'Route53HealthCheckType',
      'Route53WriterEndpoint', 'SecretName', 'SstMethod', 'WriteMode',
    ]);
  });

  test.each(['writerEdges', 'planTopologyOrThrow', 'resolveCredentials', 'throwIfProblems', 'credentialProblems', 'TerraformData'])('%s is not exported', (name) => {
    expect(name in api).toBe(false);
  });
});
