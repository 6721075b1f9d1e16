// Bad input that used to synthesize and break later: each is now a synth error (or a named
// warning) naming the construct path and the property.
import 'cdktf/lib/testing/adapters/jest';
import { TerraformVariable, Testing } from 'cdktf';
import { DockerBackend, HaproxyWriterEndpoint, KeyColumnType, MariaDbReplicationCluster, ReplicaRole, VirtualIpOptions, WriterHealthCheck } from '../../src';
import { clusterProps, dockerStack } from '../support/stacks';

const cluster = (overrides: Parameters<typeof clusterProps>[0]) => () => new MariaDbReplicationCluster(dockerStack(), 'shop', clusterProps(overrides));

describe('GIVEN one cluster', () => {
  test.each([
    ['network', 'masters'], ['cluster', 'masters'], ['image', 'replicas'], ['writer', 'replicas'], ['writer-2', 'replicas'], ['db-data', 'replicas'], ['db-files', 'replicas'], ['db-sources', 'replicas'], ['db-seed', 'replicas'], ['password-rotation', 'masters'],
  ])('WHEN a host is named %s THEN synth refuses the reserved name', (name, list) => {
    const overrides = list === 'masters'
      ? { masters: [{ name: 'db-a' }, { name }], replicas: [] }
      : { replicas: [{ name, source: 'db-b' }] };
    expect(cluster(overrides)).toThrow(new RegExp(`test/shop\\.${list}\\[\\d\\]\\.name: '${name}' is reserved`));
  });

  test('WHEN a replica role is not a ReplicaRole (a plain JavaScript caller) THEN synth names the allowed values', () => {
    expect(cluster({ replicas: [{ name: 'analytics', source: 'db-b', role: 'primary' as unknown as ReplicaRole }] }))
      .toThrow(/test\/shop\.replicas\[0\]\.role: 'primary' is not a ReplicaRole; use one of: analytics, backup, read/);
  });

  test('WHEN host names repeat THEN that is the one problem, with no misleading candidate line', () => {
    expect(cluster({ masters: [{ name: 'db-a' }, { name: 'db-a' }], replicas: [] })).toThrow(/\(1 problem\):\n {2}- test\/shop\.masters\[1\]\.name: 'db-a' is already the name of masters\[0\]; host names must be unique$/);
  });

  test('WHEN a whitelisted candidate is risky THEN synth says so instead of dropping it', () => {
    expect(cluster({ masters: [{ name: 'db-a' }, { name: 'db-b' }, { name: 'db-c', site: 'dr' }], promotion: { candidates: ['db-a', 'db-c', 'db-b'] } }))
      .toThrow(/test\/shop\.promotion\.candidates\[1\]: 'db-c' is listed as a candidate but in DR site 'dr' \(primary site is 'primary'\); add it to promotion\.allowRisky/);
  });

  test('WHEN planned key ranges overflow the key column THEN synth says how far', () => {
    expect(cluster({ keyRangePlan: { keysPerWriter: 2_000_000_000, keyColumnType: KeyColumnType.INT } }))
      .toThrow(/test\/shop\.keyRangePlan: the last writer's range ends at 4000000000, beyond the largest int key 2147483647/);
  });

  test('WHEN key ranges are used THEN synth warns that MariaDB does not enforce them', () => {
    const stack = dockerStack();
    const shop = new MariaDbReplicationCluster(stack, 'shop', clusterProps({ keyRangePlan: { keysPerWriter: 1_000_000 } }));
    expect(JSON.stringify(shop.node.metadata)).toMatch(/key ranges are advisory: MariaDB does not enforce them/);
  });

  test.each([
    [{ binlogRetentionDays: -1 }, /test\/shop\.tuning\.binlogRetentionDays: -1 is not a whole number in 0\.\.99/],
    [{ replicaNetTimeoutSeconds: 0 }, /test\/shop\.tuning\.replicaNetTimeoutSeconds: 0 is not a whole number in 1\.\./],
  ])('WHEN tuning is %j THEN synth refuses it', (tuning, message) => {
    expect(cluster({ tuning })).toThrow(message);
  });

  test('WHEN the subnet overlaps Docker\'s default bridge network THEN synth refuses it (Docker would at deploy), and a port past 65535 too', () => {
    const stack = dockerStack();
    expect(() => new MariaDbReplicationCluster(stack, 'shop', clusterProps({ backend: new DockerBackend({ subnet: '172.17.5.0/24', hostPortBase: 65530 }) })))
      .toThrow(/\(2 problems\)[\s\S]*test\/shop\.backend\.subnet: 172\.17\.5\.0\/24 overlaps Docker's default bridge network \(172\.17\.0\.0\/16\)[\s\S]*test\/shop\.backend\.hostPortBase: 65530 leaves host ports 65530\.\.65540; they must lie in 1024\.\.65535/);
  });

  test('WHEN a password is a Terraform variable that is not sensitive THEN synth refuses it', () => {
    const stack = dockerStack();
    const plain = new TerraformVariable(stack, 'plain_password', { type: 'string' });
    const secret = new TerraformVariable(stack, 'secret_password', { type: 'string', sensitive: true });
    expect(() => new MariaDbReplicationCluster(stack, 'shop', clusterProps({ credentials: { rootPassword: plain.stringValue, monitorPassword: secret.stringValue } })))
      .toThrow(/\(1 problem\)[\s\S]*test\/shop\.credentials\.rootPassword: refers to the Terraform variable 'plain_password', which is not sensitive/);
  });
});

describe('GIVEN two clusters in one stack', () => {
  test('WHEN they share one DockerBackend object THEN the second is refused', () => {
    const stack = dockerStack();
    const backend = new DockerBackend();
    new MariaDbReplicationCluster(stack, 'shop', clusterProps({ backend }));
    expect(() => new MariaDbReplicationCluster(stack, 'blog', clusterProps({ backend })))
      .toThrow(/test\/blog\.backend: this DockerBackend already places the cluster at 'test\/shop'; give each cluster its own DockerBackend/);
  });

  test('WHEN their subnets, host ports and name prefixes collide THEN every clash is listed', () => {
    const stack = dockerStack();
    new MariaDbReplicationCluster(stack, 'shop', clusterProps({ backend: new DockerBackend({ subnet: '10.213.0.0/24', hostPortBase: 23306 }) }));
    const second = () => new MariaDbReplicationCluster(stack, 'blog', clusterProps({ backend: new DockerBackend({ subnet: '10.213.0.0/23', hostPortBase: 23308, namePrefix: 'shop' }) }));
    expect(second).toThrow(/\(3 problems\)[\s\S]*blog\.backend\.subnet: 10\.213\.0\.0\/23 overlaps the network of the cluster at 'test\/shop'[\s\S]*blog\.backend\.hostPortBase: host ports 23308\.\.23318 overlap 23306\.\.23316[\s\S]*blog\.backend\.namePrefix: 'shop' already names the Docker objects/);
  });

  test('WHEN their ids differ only in - and _ THEN the second is refused (same variable names)', () => {
    const stack = dockerStack();
    new MariaDbReplicationCluster(stack, 'shop-1', clusterProps({ backend: new DockerBackend({ subnet: '10.213.0.0/24', hostPortBase: 23306 }) }));
    expect(() => new MariaDbReplicationCluster(stack, 'shop_1', clusterProps({ backend: new DockerBackend({ subnet: '10.213.1.0/24', hostPortBase: 24306 }) })))
      .toThrow(/test\/shop_1\.id: 'shop_1' gives the same Terraform variable names \(shop_1_\*\) as the cluster at 'test\/shop-1'/);
  });
});

describe('GIVEN a writer endpoint', () => {
  const endpoint = (props: { hostPort?: number; virtualIp?: VirtualIpOptions; healthCheck?: WriterHealthCheck }) => () => {
    const stack = dockerStack();
    const shop = new MariaDbReplicationCluster(stack, 'shop', clusterProps({}));
    new HaproxyWriterEndpoint(stack, 'writer', { cluster: shop, hostPort: 23300, ...props });
    return Testing.synth(stack, true);
  };

  test('WHEN its port is a host port THEN synth names the host', () => {
    expect(endpoint({ hostPort: 23307 })).toThrow(/test\/writer\.hostPort: 23307\.\.23307 includes 23307, the host port of db-b/);
    expect(endpoint({ hostPort: 23305, virtualIp: {} })).toThrow(/test\/writer\.hostPort: 23305\.\.23306 includes 23306, the host port of db-a/);
  });

  test.each([
    ['10.213.0.10', /is the address of db-a/],
    ['10.213.0.5', /is the address of endpoint instance 1/],
    ['10.213.0.1', /is the gateway/],
    ['10.9.0.4', /is not in the cluster's network/],
    ['10.213.0.300', /is not an IPv4 address/],
  ])('WHEN the virtual IP is %s THEN synth refuses it', (address, message) => {
    expect(endpoint({ virtualIp: { address } })).toThrow(new RegExp(`test/writer\\.virtualIp\\.address: .*${message.source}`));
  });

  test.each([
    [{ fall: 0 }, /healthCheck\.fall: 0 is not a whole number of at least 1/],
    [{ rise: 0 }, /healthCheck\.rise: 0 is not a whole number of at least 1/],
    [{ connectionErrorLimit: 0.5 }, /healthCheck\.connectionErrorLimit: 0\.5 is not a whole number of at least 1/],
    [{ intervalMs: 500, timeoutMs: 500 }, /healthCheck\.timeoutMs: 500 ms is not below intervalMs \(500 ms\)/],
  ])('WHEN the health check is %j THEN synth refuses it', (healthCheck, message) => {
    expect(endpoint({ healthCheck })).toThrow(new RegExp(`test/writer\\.${message.source}`));
  });
});
