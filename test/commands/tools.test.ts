import { EndpointKind } from '../../src/constructs/endpoint';
import { WriteMode } from '../../src/model/topology';
import { formatGtidPosition, hasReached, masterStartPosition, parseGtidPosition, resumeAfterRebuild, transactionsAhead, transactionsBehind, withoutDomain } from '../../src/operator/gtid';
import { parseArgs, main } from '../../src/commands/cli';
import { distances, judgeStatus, renderStatus } from '../../src/commands/status';
import { HostStatus } from '../../src/operator/replication-status';
import { ClusterDescription } from '../../src/constructs/replication-cluster';
import { HostKind } from '../../src/model';

describe('GTID positions', () => {
  test('parse and format round-trip per domain', () => {
    const parsed = parseGtidPosition('2-2-50,1-1-100');
    expect(parsed.get(1)).toEqual({ domain: 1, serverId: 1, seqNo: 100n });
    expect(formatGtidPosition(parsed)).toBe('1-1-100,2-2-50');
  });

  test('an empty position has no domains', () => {
    expect(parseGtidPosition('').size).toBe(0);
  });

  test('hasReached compares every domain of the target', () => {
    expect(hasReached('1-1-100,2-2-50', '1-1-100,2-2-49')).toBe(true);
    expect(hasReached('1-1-100,2-2-50', '1-1-101')).toBe(false);
    expect(hasReached('1-1-100', '1-1-100,2-2-1')).toBe(false);
  });

  test('a master starts a new connection from its own binary log in its own domain, its replica position in the others', () => {
    // Its replica position in its own domain lags (here by 928) or is missing; a seeded source logged from 1-1-4327 on.
    expect(masterStartPosition('1-1-10332,2-2-12455', '1-1-11260,2-2-12455', 1)).toBe('1-1-11260,2-2-12455');
    expect(masterStartPosition('2-2-12376', '1-1-11217,2-2-12533', 2)).toBe('2-2-12533');
    expect(masterStartPosition('2-2-7', '', 1)).toBe('2-2-7');
    expect(withoutDomain('1-1-10,2-2-5,3-3-1', 2)).toBe('1-1-10,3-3-1');
    expect(withoutDomain('', 2)).toBe('');
  });

  test('garbage is rejected', () => {
    expect(() => parseGtidPosition('1-x-3')).toThrow(/not a GTID/);
  });
});

const description: ClusterDescription = {
  cluster: 'x',
  activeMaster: 'db-a',
  writers: ['db-a', 'db-b'], writeMode: WriteMode.EVERY_MASTER,
  candidates: ['db-a', 'db-b'],
  databaseName: 'app',
  accountHost: '10.213.0.0/255.255.255.0', hostAccess: 'docker',
  semiSync: false,
  hosts: [
    { name: 'db-a', kind: HostKind.MASTER, role: 'master', serverId: 1, gtidDomainId: 1, sources: ['db-b'], address: '127.0.0.1', port: 1, replicationAddress: '10.213.0.11', backendName: 'x-db-a', delaySeconds: 0, settings: {} },
    { name: 'db-b', kind: HostKind.MASTER, role: 'master', serverId: 2, gtidDomainId: 2, sources: ['db-a'], address: '127.0.0.1', port: 2, replicationAddress: '10.213.0.12', backendName: 'x-db-b', delaySeconds: 0, settings: {} },
  ],
};
const channel = (name: string, overrides = {}) => ({
  connectionName: name, sourceHost: name, ioRunning: 'Yes', sqlRunning: 'Yes', secondsBehind: 0,
  lastIoErrno: 0, lastIoError: '', lastSqlErrno: 0, lastSqlError: '', gtidIoPos: '', sqlDelay: 0, relayApplied: true, ...overrides,
});
const host = (name: string, channels: any[]): HostStatus => ({
  name, endpoint: { host: '127.0.0.1', port: 1 }, reachable: true, serverId: 1, readOnly: false, gtidCurrentPos: '1-1-5', channels,
});

describe('status verdict', () => {
  test('healthy when every declared source runs without errors', () => {
    expect(judgeStatus(description, [host('db-a', [channel('db-b')]), host('db-b', [channel('db-a')])])).toEqual({ healthy: true, problems: [], warnings: [] });
  });

  test('a stopped SQL thread with a duplicate-key error is named with its host and source', () => {
    const broken = channel('db-a', { sqlRunning: 'No', lastSqlErrno: 1062, lastSqlError: "Duplicate entry '7' for key 'PRIMARY'" });
    const verdict = judgeStatus(description, [host('db-a', [channel('db-b')]), host('db-b', [broken])]);
    expect(verdict.healthy).toBe(false);
    expect(verdict.problems).toEqual(["db-b <- db-a: IO Yes, SQL No: Duplicate entry '7' for key 'PRIMARY'"]);
    const hosts = [host('db-a', [channel('db-b')]), host('db-b', [broken])];
    const report = { hosts, extra: {}, behind: {}, errant: {}, duplicateKeys: { 'db-b': { stoppedChannels: ['db-a: dup'], logged: 3 } }, verdict };
    expect(renderStatus(description, report)).toMatch(/UNHEALTHY:\n {2}- db-b <- db-a/);
    expect(renderStatus(description, report)).toMatch(/db-b +master .* 1\/3 /);
  });

  test('running threads with lag 0 are not healthy when the host lacks transactions of its source (a cut link)', () => {
    const ahead = { ...host('db-a', [channel('db-b')]), gtidBinlogPos: '1-1-11569,2-2-40', gtidCurrentPos: '1-1-11569,2-2-40' };
    const behindBy = (n: number) => ({ ...host('db-b', [channel('db-a')]), gtidBinlogPos: `1-1-${11569 - n},2-2-40`, gtidCurrentPos: `1-1-${11569 - n},2-2-40` });
    expect(distances(description, [ahead, behindBy(11564)])).toEqual({ 'db-a': { 'db-b': '0' }, 'db-b': { 'db-a': '11564' } });
    expect(judgeStatus(description, [ahead, behindBy(11564)]).problems).toEqual(['db-b <- db-a: 11564 transactions behind (by GTID; more than 100)']);
    expect(judgeStatus(description, [ahead, behindBy(100)]).healthy).toBe(true);
    expect(judgeStatus(description, [ahead, behindBy(100)], undefined, 10).healthy).toBe(false);
  });

  test('a delayed replica is judged by time against its delay, not by the transactions it holds back', () => {
    const delayed = { ...description, hosts: [...description.hosts, { ...description.hosts[0], name: 'backup', kind: HostKind.REPLICA, role: 'backup', serverId: 101, sources: ['db-a'], delaySeconds: 3600 }] };
    const writer = { ...host('db-a', [channel('db-b')]), gtidBinlogPos: '1-1-20000', gtidCurrentPos: '1-1-20000' };
    const backup = (secondsBehind: number) => ({ ...host('backup', [channel('db-a', { sqlDelay: 3600, secondsBehind })]), gtidBinlogPos: '1-1-8812', gtidCurrentPos: '1-1-8812' });
    const standby = { ...host('db-b', [channel('db-a')]), gtidBinlogPos: '1-1-20000', gtidCurrentPos: '1-1-20000' };
    expect(judgeStatus(delayed, [writer, standby, backup(3602)]).problems).toEqual([]);
    expect(judgeStatus(delayed, [writer, standby, backup(3700)]).problems).toEqual(['backup <- db-a: 3700 s behind, more than its delay of 3600 s (+60 s)']);
  });

  test('a rebuilt master resumes its own domain from the oldest of what its sources logged of it', () => {
    expect(resumeAfterRebuild('1-1-10,2-2-5', ['1-1-9,2-2-7', '1-1-12,2-2-7'], 2)).toBe('1-1-10,2-2-7');
    expect(resumeAfterRebuild('1-1-10', ['1-1-9', '1-1-12'], 2)).toBeUndefined();
  });

  test('transactions behind count per domain, and only what the source has', () => {
    expect(transactionsBehind('1-1-100,2-2-50', '1-1-90,2-2-50')).toBe(10n);
    expect(transactionsBehind('1-1-100,2-2-50', '2-2-60')).toBe(100n);
    expect(transactionsBehind('', '1-1-5')).toBe(0n);
  });

  test('transactions ahead are GTID ranges per domain with their count', () => {
    expect(transactionsAhead('1-1-103,2-2-50', '1-1-100,2-2-50')).toEqual({ ranges: ['1-1-101..103'], count: 3n });
    expect(transactionsAhead('1-1-101', '2-2-9')).toEqual({ ranges: ['1-1-1..101'], count: 101n });
    expect(transactionsAhead('1-1-100', '1-1-100,2-2-5')).toEqual({ ranges: [], count: 0n });
  });

  test('with one writer at a time: no writer, two writers, and a returning master\'s extra transactions are problems that say what to run', () => {
    const oneWriter = { ...description, writeMode: WriteMode.ONE_WRITER, endpoint: { kind: EndpointKind.HAPROXY, address: '127.0.0.1', port: 3, haproxy: { backend: 'writer', configPath: '/x', instances: [], monitorContainer: 'x-monitor' } } };
    const at = (name: string, readOnly: boolean, pos: string, channels = [channel(name === 'db-a' ? 'db-b' : 'db-a')]) =>
      ({ ...host(name, channels), readOnly, gtidBinlogPos: pos, gtidCurrentPos: pos });
    expect(judgeStatus(oneWriter, [at('db-a', true, '1-1-5'), at('db-b', true, '1-1-5')]).problems)
      .toEqual(["no master is writable; 'mariadb-ha switchover --to <master>' makes one the writer"]);
    expect(judgeStatus(oneWriter, [at('db-a', false, '1-1-5'), at('db-b', false, '1-1-5')]).problems)
      .toEqual(['db-a and db-b are all writable; the failover monitor fences all but the writer']);
    // db-a returns after a failover with two commits db-b never received; db-b detached it.
    expect(judgeStatus(oneWriter, [at('db-a', true, '1-1-7,2-2-3'), at('db-b', false, '1-1-5,2-2-3', [])]).problems).toEqual([
      "db-a: 2 transactions the writer db-b lacks (1-1-6..7); 'mariadb-ha rejoin --host db-a' discards them (rebuilds db-a from db-b), '--apply-extra' applies them on db-b",
      "db-b: no replication connection from db-a (detached when db-a was lost; 'mariadb-ha rejoin --host db-a' reattaches it)",
    ]);
  });

  test('an unreachable host and a missing connection are problems', () => {
    const verdict = judgeStatus(description, [
      { name: 'db-a', endpoint: { host: '127.0.0.1', port: 1 }, reachable: false, error: 'ECONNREFUSED', channels: [] },
      host('db-b', []),
    ]);
    expect(verdict.problems).toEqual(['db-a: unreachable (ECONNREFUSED)', 'db-b: no replication connection from db-a']);
  });
});

describe('mariadb-ha command line', () => {
  test('options with and without values', () => {
    const args = parseArgs(['status', '--cluster', 'shop', '--json']);
    expect(args.command).toBe('status');
    expect(args.options).toEqual(new Map<string, string | true>([['cluster', 'shop'], ['json', true]]));
  });

  test('an unknown command exits 2 with usage', async () => {
    const errors: string[] = [];
    expect(await main(['frobnicate'], () => undefined, (e) => errors.push(e))).toBe(2);
    expect(errors.join('\n')).toMatch(/unknown command 'frobnicate'[\s\S]*usage: mariadb-ha/);
  });

  test('a missing cluster reference exits 2 and says what to pass', async () => {
    const errors: string[] = [];
    expect(await main(['status', '--cluster', 'shop'], () => undefined, (e) => errors.push(e))).toBe(2);
    expect(errors.join('\n')).toMatch(/--stack-dir <synthesized stack dir> or --description <file>/);
  });
});
