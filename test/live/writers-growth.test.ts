// Growing and shrinking the writers of a live N-writer cluster (WriteMode.EVERY_MASTER) through
// `terraform apply`, with inserts on every master from held and new connections the whole time: a
// third master joins (seeded, read-only until every key slot has moved) and leaves again (fenced,
// its peers catch up with it). Keys generated on different masters must never collide: a collision
// would stop replication on a duplicate key, or fail a client's insert.
import { runEndpointLoad, trackedWritesTableDdl, WriteRecord } from '../support/load/endpoint-load';
import { queryRows, withConnection } from '../../src/operator/sql-client';
import { rootSql } from '../../src/operator/sql-client';
import { DOCKER_HOST_ACCESS } from '../../src/backends/docker/docker-host-access';
import { readHostStatus } from '../../src/operator/replication-status';
import { expectAllHostsEqual, missingTokens, waitForConvergence } from '../support/cluster-checks';
import { acked, DRILL_TABLE } from '../support/failover-drill';
import { haDeployment } from '../support/ha-deployment';
import { containerLogs } from '../support/live-stack';
import { LIVE_SLOTS } from '../support/live-slots';

const PREFIX = LIVE_SLOTS.writersGrowth.prefix;
const ha = haDeployment({ ...LIVE_SLOTS.writersGrowth, withEndpoint: false });
const { hosts, monitor, app, live } = ha;

jest.setTimeout(10 * 60_000);

/** Inserts on one master, from held and new connections, for a bounded time. */
function insertsOn(master: string, durationMs: number, stopWhen?: () => boolean): Promise<WriteRecord[]> {
  return runEndpointLoad({
    endpoint: ha.host(master), login: app, table: DRILL_TABLE, heldConnections: 3, recycledConnections: 3, recycleEvery: 10,
    durationMs, maxWritesPerWorker: 20_000, pauseMs: 5, stopWhen,
  });
}

/** Applies the saved plan while every listed master takes inserts; the load outlasts the apply. */
async function applyUnderInserts(masters: string[], maxMs = 180_000): Promise<WriteRecord[]> {
  return (await live.applyUnderLoad((stopWhen) => Promise.all(masters.map((m) => insertsOn(m, maxMs, stopWhen))), maxMs)).flat();
}

/** No insert failed on a duplicate key, and every acknowledged insert is on every host. */
async function expectEveryInsertOnce(records: WriteRecord[]): Promise<void> {
  expect(records.filter((r) => r.errno === 1062 || /Duplicate entry/.test(r.error ?? '')).map((r) => r.error)).toEqual([]);
  const tokens = acked(records).map((r) => r.token);
  expect(tokens.length).toBeGreaterThan(300);
  for (const h of hosts) expect({ host: h.name, missing: await missingTokens(h, app, DRILL_TABLE, tokens) }).toEqual({ host: h.name, missing: [] });
}

async function slots(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of ha.masters) {
    const [row] = await withConnection(ha.host(name), monitor, (c) => queryRows<any>(c, 'SELECT @@GLOBAL.auto_increment_increment AS i, @@GLOBAL.auto_increment_offset AS o'));
    out[name] = `${row.i}/${row.o}`;
  }
  return out;
}

/**
 * A master's replica position in its own domain is refreshed only now and then (it never applies
 * its own transactions back) and lags far behind under load. Here it is held back for certain:
 * db-a's connection from db-b stops fetching, so the position stays older than the seeded copy's
 * binary log will start, and a connection asking from it would be refused (error 1236). The join
 * restarts every connection of a master it connects.
 */
async function holdOwnDomainPositionBack(): Promise<void> {
  await rootSql(DOCKER_HOST_ACCESS, `${PREFIX}-db-a`, ["STOP SLAVE 'db-b' IO_THREAD"]);
}

const withLogs = async <T>(work: () => Promise<T>): Promise<T> => {
  try {
    return await work();
  } catch (error) {
    throw new Error(`${String(error)}\n${live.applyProgress()}\n${await containerLogs(hosts.map((h) => `${PREFIX}-${h.name}`))}`);
  }
};

describe('growing and shrinking the writers of a live N-writer cluster', () => {
  beforeAll(async () => {
    await live.deploy();
    await withConnection(ha.host('db-a'), app, (c) => c.query(trackedWritesTableDdl(DRILL_TABLE)));
    await waitForConvergence(hosts, ha.masters, monitor);
  });

  afterAll(async () => {
    await live?.destroy();
  });

  test('a third master joins while both masters take inserts: keys stay disjoint, every insert is everywhere once', () => withLogs(async () => {
    await holdOwnDomainPositionBack();
    ha.addMaster('db-c');
    await live.terraform(['plan', '-input=false', '-out=tfplan']);
    const records = await applyUnderInserts(['db-a', 'db-b']);
    const log = live.lastApply!.stdout;
    expect(log).toContain('joining: db-c');
    expect(log).toContain('closed application sessions started before the narrowing on db-a, db-b');
    expect(log).toContain('db-c takes writes');
    // Read-only until every key slot had moved:
    expect(log.indexOf('db-b: increment 6 offset 2 -> increment 3 offset 2')).toBeLessThan(log.indexOf('db-c takes writes'));
    expect(await slots()).toEqual({ 'db-a': '3/1', 'db-b': '3/2', 'db-c': '3/3' });
    expect((await readHostStatus(ha.host('db-c'), monitor)).readOnly).toBe(false);
    await expectAllHostsEqual(hosts, ha.masters, monitor, app, [DRILL_TABLE]);
    await expectEveryInsertOnce(records);
  }));

  test('then all three take inserts, and the third leaves meanwhile: fenced, nothing it acknowledged is lost, keys stay disjoint', () => withLogs(async () => {
    ha.removeMaster('db-c');
    await live.terraform(['plan', '-input=false', '-out=tfplan']);
    const onAll = await applyUnderInserts(['db-a', 'db-b', 'db-c']);
    expect(live.lastApply!.stdout).toContain('db-c is fenced (read-only, application sessions closed)');
    expect(live.lastApply!.stdout).toContain('db-c left wglive: db-a, db-b no longer replicate from it');
    expect(await slots()).toEqual({ 'db-a': '2/1', 'db-b': '2/2' });
    await expectAllHostsEqual(hosts, ha.masters, monitor, app, [DRILL_TABLE]);
    await expectEveryInsertOnce(onAll);
  }));
});
