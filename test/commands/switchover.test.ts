import { EndpointKind } from '../../src/constructs/endpoint';
import { writerRouteOf } from '../../src/routes/writer-route';
import { WriteMode } from '../../src/model/topology';
import { ClusterDescription } from '../../src/constructs/replication-cluster';
import { HostKind } from '../../src/model';
import { HostStatus } from '../../src/operator/replication-status';
import { preflightProblems } from '../../src/commands/switchover';

const description: ClusterDescription = {
  cluster: 'shop', activeMaster: 'db-a', writers: ['db-a', 'db-b'], writeMode: WriteMode.EVERY_MASTER, candidates: ['db-a', 'db-b'], databaseName: 'shop', accountHost: '10.213.0.0/255.255.255.0', hostAccess: 'docker', semiSync: false,
  hosts: [
    { name: 'db-a', kind: HostKind.MASTER, role: 'master', serverId: 1, gtidDomainId: 1, sources: ['db-b'], address: '127.0.0.1', port: 1, replicationAddress: '10.213.0.11', backendName: 'a', delaySeconds: 0, settings: {} },
    { name: 'db-b', kind: HostKind.MASTER, role: 'master', serverId: 2, gtidDomainId: 2, sources: ['db-a'], address: '127.0.0.1', port: 2, replicationAddress: '10.213.0.12', backendName: 'b', delaySeconds: 0, settings: {} },
    { name: 'analytics', kind: HostKind.REPLICA, role: 'analytics', serverId: 101, gtidDomainId: 0, sources: ['db-b'], address: '127.0.0.1', port: 3, replicationAddress: '10.213.0.13', backendName: 'c', delaySeconds: 0, settings: {} },
  ],
};
const channel = (name: string, overrides = {}) => ({
  connectionName: name, sourceHost: name, ioRunning: 'Yes', sqlRunning: 'Yes', secondsBehind: 0,
  lastIoErrno: 0, lastIoError: '', lastSqlErrno: 0, lastSqlError: '', gtidIoPos: '', sqlDelay: 0, relayApplied: true, ...overrides,
});
const host = (name: string, channels: any[], binlog = ''): HostStatus => ({
  name, endpoint: { host: '127.0.0.1', port: 1 }, reachable: true, gtidBinlogPos: binlog, channels,
});
const healthy = () => [host('db-a', [channel('db-b')], '1-1-10'), host('db-b', [channel('db-a')], '1-1-10,2-2-3'), host('analytics', [channel('db-b')])];

describe('switchover preflight', () => {
  test('healthy replication allows the switchover', () => {
    expect(preflightProblems(description, healthy(), 'db-a', 'db-b', 5)).toEqual([]);
  });

  test('a target that is not a candidate is refused', () => {
    expect(preflightProblems(description, healthy(), 'db-a', 'analytics', 5)).toEqual(['analytics is not a promotion candidate (candidates: db-a, db-b)']);
  });

  test('a lagging target is refused with its lag and the limit', () => {
    const status = healthy();
    status[1] = host('db-b', [channel('db-a', { secondsBehind: 42 })]);
    expect(preflightProblems(description, status, 'db-a', 'db-b', 5)).toEqual(['db-b is 42 s behind db-a (limit 5 s)']);
  });

  test('broken replication between the masters is refused with the error', () => {
    const status = healthy();
    status[0] = host('db-a', [channel('db-b', { sqlRunning: 'No', lastSqlErrno: 1062, lastSqlError: "Duplicate entry '4' for key 'PRIMARY'" })]);
    expect(preflightProblems(description, status, 'db-a', 'db-b', 5)).toEqual(["replication db-b -> db-a is broken: IO Yes, SQL No: Duplicate entry '4' for key 'PRIMARY'"]);
  });

  test('an unreachable master and errant transactions on the target are refused', () => {
    const status = [{ ...healthy()[0], reachable: false, error: 'ECONNREFUSED', channels: [] }, host('db-b', [channel('db-a')], '2-2-3,0-101-7'), healthy()[2]];
    expect(preflightProblems(description, status, 'db-a', 'db-b', 5)).toEqual([
      'db-a is unreachable (ECONNREFUSED)',
      'db-b has errant transactions: 0-101-7 (domain 0 belongs to no writer)',
    ]);
  });
});

describe('writerRouteOf', () => {
  test('an endpoint of a kind the tool cannot steer is a clear error, not a guess', () => {
    expect(() => writerRouteOf({ ...description, endpoint: { kind: 'carrier-pigeon' as EndpointKind, address: 'x', port: 1 } }))
      .toThrow("cluster shop has a writer endpoint of kind 'carrier-pigeon', which this tool cannot steer");
    expect(() => writerRouteOf({ ...description, endpoint: undefined })).toThrow('cluster shop has no writer endpoint to switch');
  });

  test('a Route 53 record pair: the switchover steers nothing itself and says the record moves in this apply', () => {
    const route = writerRouteOf({ ...description, endpoint: { kind: EndpointKind.ROUTE53_FAILOVER, address: 'w.db', port: 3306, route53: { zoneId: 'Z', recordName: 'w.db', ttlSeconds: 10, healthCheck: 'cloudwatch-metric', detectionSeconds: 160, worstCaseFailoverSeconds: 170 } } });
    expect(route.monitorContainer).toBeUndefined();
    expect(route.moveNote).toMatch(/^w\.db moves to the new writer in this apply, after this step/);
  });
});
