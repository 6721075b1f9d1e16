// The failover monitor's decisions as a table of situations: what it sees (and remembers) in, what
// it does out. No Docker, no server: pure functions, milliseconds.
import type { ClusterDescription, HostDescription } from '../../src/constructs/description';
import { HostKind } from '../../src/model/plan';
import { WriteMode } from '../../src/model/topology';
import { resolveMonitorOptions } from '../../src/render/monitor-config';
import {
  ActionKind, choosePromotion, connectionsFromLost, decide, decideGalera, drainState, EMPTY_MEMORY, followersOf, MonitorMemory, Promotion, Refusal, unionOfPositions,
} from '../../src/operator/failover/decide';
import { ChannelView, GaleraState, HostView, Observation, Reach } from '../../src/operator/failover/observation';

const options = resolveMonitorOptions({ detectionMs: 3000, probeIntervalMs: 500 });

function host(name: string, kind: HostKind, serverId: number, sources: string[], delaySeconds = 0): HostDescription {
  return {
    name, kind, role: kind === HostKind.MASTER ? 'master' : 'backup', serverId, gtidDomainId: kind === HostKind.MASTER ? serverId : 0, sources,
    address: `10.213.0.${serverId}`, port: 3306, replicationAddress: `10.213.0.${serverId}`, backendName: name, delaySeconds, settings: {},
  };
}

/** Three masters in a mesh (west-1 a DR master, never promoted), an analytics replica of east-2, a backup of east-1 an hour behind. */
const MESH: ClusterDescription = {
  cluster: 'shop', activeMaster: 'east-1', writers: ['east-1', 'east-2', 'west-1'], writeMode: WriteMode.ONE_WRITER,
  candidates: ['east-1', 'east-2'], databaseName: 'shop', accountHost: '10.213.0.0/255.255.255.0', hostAccess: 'none', semiSync: false,
  hosts: [
    host('east-1', HostKind.MASTER, 1, ['east-2', 'west-1']),
    host('east-2', HostKind.MASTER, 2, ['east-1', 'west-1']),
    host('west-1', HostKind.MASTER, 3, ['east-1', 'east-2']),
    host('analytics', HostKind.REPLICA, 101, ['east-2']),
    host('backup', HostKind.REPLICA, 102, ['east-1'], 3600),
  ],
};
/** The same with three candidates, for choosing among survivors. */
const FOUR: ClusterDescription = {
  ...MESH,
  writers: ['east-1', 'east-2', 'east-3', 'west-1'], candidates: ['east-1', 'east-2', 'east-3'],
  hosts: [
    host('east-1', HostKind.MASTER, 1, ['east-2', 'east-3', 'west-1']),
    host('east-2', HostKind.MASTER, 2, ['east-1', 'east-3', 'west-1']),
    host('east-3', HostKind.MASTER, 4, ['east-1', 'east-2', 'west-1']),
    host('west-1', HostKind.MASTER, 3, ['east-1', 'east-2', 'east-3']),
    host('analytics', HostKind.REPLICA, 101, ['east-1']),
  ],
};

function channel(name: string, overrides: Partial<ChannelView> = {}): ChannelView {
  return { name, io: 'Yes', sql: 'Yes', sqlErrno: 0, sqlError: '', ioErrno: 0, ioError: '', delaySeconds: 0, relayApplied: true, ...overrides };
}

function answers(name: string, readOnly: boolean, channels: ChannelView[], binlogPos = '1-1-100'): HostView {
  return { name, reach: Reach.ANSWERS, readOnly, binlogPos, channels };
}

/** Everyone healthy, east-1 the writer. */
function healthy(): HostView[] {
  return [
    answers('east-1', false, [channel('east-2'), channel('west-1')]),
    answers('east-2', true, [channel('east-1'), channel('west-1')]),
    answers('west-1', true, [channel('east-1'), channel('east-2')]),
    answers('analytics', true, [channel('east-2')]),
    answers('backup', true, [channel('east-1', { delaySeconds: 3600 })], '1-1-40'),
  ];
}

/** `hosts` with some replaced. */
function replaced(hosts: HostView[], ...changes: HostView[]): HostView[] {
  return hosts.map((h) => changes.find((c) => c.name === h.name) ?? h);
}

const gone = (name: string): HostView => ({ name, reach: Reach.GONE, channels: [] });
const silent = (name: string): HostView => ({ name, reach: Reach.SILENT, channels: [] });
/** A peer whose connection from east-1 lost it. */
const lostEast1 = (name: 'east-2' | 'west-1', other: string) => answers(name, true, [channel('east-1', { io: 'Connecting', ioErrno: 2003 }), channel(other)]);

function observation(hosts: HostView[], at: number, extra: Partial<Observation> = {}): Observation {
  return { at, hosts, recordedWriter: 'east-1', detached: [], ...extra };
}

/** Runs the monitor's decisions over a sequence of observations, returning the last decision. */
function sequence(d: ClusterDescription, steps: Array<[number, HostView[], Partial<Observation>?]>, memory: MonitorMemory = EMPTY_MEMORY) {
  let decision = decide(d, options, observation(steps[0][1], steps[0][0], steps[0][2]), memory);
  for (const [at, hosts, extra] of steps.slice(1)) decision = decide(d, options, observation(hosts, at, extra), decision.memory);
  return decision;
}

describe('the monitor\'s decisions, one tick at a time', () => {
  test.each([
    ['everyone healthy: nothing to do', [[0, healthy()]], []],
    ['the writer killed (its process gone, its peers lost it): fail over at once, certain', [[0, replaced(healthy(), gone('east-1'), lostEast1('east-2', 'west-1'), lostEast1('west-1', 'east-2'))]],
      [{ kind: ActionKind.FAIL_OVER, host: 'east-1', lost: ['east-1'], certain: true }]],
    ['the writer gone but a peer still receives from it: not certain, not yet', [[0, replaced(healthy(), gone('east-1'), lostEast1('east-2', 'west-1'))]], []],
    ['the writer gone and a peer still receiving from it for twice the budget: fail over, not certain', [
      [0, replaced(healthy(), gone('east-1'), lostEast1('east-2', 'west-1'))],
      [3000, replaced(healthy(), gone('east-1'), lostEast1('east-2', 'west-1'))],
      [6000, replaced(healthy(), gone('east-1'), lostEast1('east-2', 'west-1'))]],
    [{ kind: ActionKind.FAIL_OVER, host: 'east-1', lost: ['east-1'], certain: false }]],
    ['the writer frozen for less than the budget: wait', [[0, replaced(healthy(), silent('east-1'))], [2500, replaced(healthy(), silent('east-1'))]], []],
    ['the writer frozen for the budget while its peers still receive from it (their sessions outlive a freeze): wait twice as long', [
      [0, replaced(healthy(), silent('east-1'))], [3000, replaced(healthy(), silent('east-1'))]], []],
    ['the writer frozen for twice the budget: fail over, not certain', [[0, replaced(healthy(), silent('east-1'))], [6000, replaced(healthy(), silent('east-1'))]],
      [{ kind: ActionKind.FAIL_OVER, host: 'east-1', lost: ['east-1'], certain: false }]],
    ['the writer frozen for the budget and no peer receives from it: fail over', [
      [0, replaced(healthy(), silent('east-1'))], [3000, replaced(healthy(), silent('east-1'), lostEast1('east-2', 'west-1'), lostEast1('west-1', 'east-2'))]],
    [{ kind: ActionKind.FAIL_OVER, host: 'east-1', lost: ['east-1'], certain: false }]],
    ['a short freeze: the writer answers again and the clock starts over', [
      [0, replaced(healthy(), silent('east-1'))], [1500, healthy()], [2000, replaced(healthy(), silent('east-1'))], [4600, replaced(healthy(), silent('east-1'))]], []],
    ['the writer lost while a switchover holds the lock: nothing', [[0, replaced(healthy(), gone('east-1'), lostEast1('east-2', 'west-1'), lostEast1('west-1', 'east-2')), { lockedBy: 'switchover' }]], []],
    ['the writer refuses the operator\'s login (a rotation): not lost', [[0, replaced(healthy(), { name: 'east-1', reach: Reach.REFUSED, channels: [] })], [9000, replaced(healthy(), { name: 'east-1', reach: Reach.REFUSED, channels: [] })]], []],
    ['the writer lost and another master silent for less than the budget: wait for it, it may hold more', [
      [0, replaced(healthy(), gone('east-1'), silent('west-1'), lostEast1('east-2', 'west-1'))]], []],
    ['the writer and another master both lost: fail over from both', [
      [0, replaced(healthy(), silent('west-1'))],
      [3100, replaced(healthy(), gone('east-1'), silent('west-1'), answers('east-2', true, [channel('east-1', { io: 'Connecting' }), channel('west-1', { io: 'Connecting' })]))]],
    [{ kind: ActionKind.FAIL_OVER, host: 'east-1', lost: ['east-1', 'west-1'], certain: true }]],
    ['no writer recorded, one master writable: learn it', [[0, healthy(), { recordedWriter: undefined }]], [{ kind: ActionKind.LEARN_WRITER, host: 'east-1' }]],
    ['no writer recorded, two writable: do nothing, say so', [[0, replaced(healthy(), answers('east-2', false, [])), { recordedWriter: undefined }]], []],
    ['a second writable master beside the writer: fence it', [[0, replaced(healthy(), answers('west-1', false, [channel('east-1'), channel('east-2')]))]], [{ kind: ActionKind.FENCE, host: 'west-1' }]],
    ['the writer back read-only, nobody writable, for less than the budget: wait (a switchover may have fenced it)', [[0, replaced(healthy(), answers('east-1', true, []))]], []],
    ['the writer back read-only for the budget, no failover happened: it takes writes again', [
      [0, replaced(healthy(), answers('east-1', true, []))], [3000, replaced(healthy(), answers('east-1', true, []))]], [{ kind: ActionKind.RESTORE_WRITER, host: 'east-1' }]],
    ['the writer read-only and another master writable (a switchover): learn the new writer', [[0, replaced(healthy(), answers('east-1', true, []), answers('east-2', false, []))]], [{ kind: ActionKind.LEARN_WRITER, host: 'east-2' }]],
    ['the analytics replica\'s source lost for the budget: it follows the writer', [
      [0, replaced(healthy(), silent('east-2'))], [3000, replaced(healthy(), silent('east-2'), answers('west-1', true, [channel('east-1'), channel('east-2', { io: 'Connecting' })]), answers('east-1', false, [channel('east-2', { io: 'Connecting' }), channel('west-1')]))]],
    [{ kind: ActionKind.REPOINT, host: 'analytics', from: 'east-2', to: 'east-1', delaySeconds: 0 }]],
    ['the analytics replica\'s source lost for less than the budget: nothing yet', [[0, replaced(healthy(), silent('east-2'))]], []],
    ['a detached master came back: a replica still on it follows the writer, a master still replicating from it drops it', [
      [0, replaced(healthy(), answers('east-1', true, []), answers('east-2', false, [channel('west-1')]), answers('west-1', true, [channel('east-1'), channel('east-2')]),
        answers('backup', true, [channel('east-1', { delaySeconds: 3600 })])), { recordedWriter: 'east-2', detached: ['east-1'] }]],
    [{ kind: ActionKind.DETACH, host: 'west-1', from: 'east-1' }, { kind: ActionKind.REPOINT, host: 'backup', from: 'east-1', to: 'east-2', delaySeconds: 3600 }]],
    ['a connection between survivors stopped on a misread event (a semi-sync fault): it starts again', [
      [0, replaced(healthy(), answers('west-1', true, [channel('east-1'), channel('east-2', { io: 'No', ioErrno: 1595, ioError: 'Relay log write failure' })]))]],
    [{ kind: ActionKind.RESTART, host: 'west-1', from: 'east-2' }]],
    ['a receiver stopped on another error (binary logs purged) is left for a person: restarting cannot help', [
      [0, replaced(healthy(), answers('west-1', true, [channel('east-1'), channel('east-2', { io: 'No', ioErrno: 1236 })]))]], []],
  ] as Array<[string, Array<[number, HostView[], Partial<Observation>?]>, unknown[]]>)('%s', (_, steps, expected) => {
    expect(sequence(MESH, steps).actions).toEqual(expected);
  });

  test('a replica the writer cannot serve (its binary log starts after the replica\'s position) follows another master, and the refusing source is not asked again', () => {
    const refused = answers('backup', true, [channel('east-1', { io: 'No', ioErrno: 1236, delaySeconds: 3600 })], '');
    const first = decide(MESH, options, observation(replaced(healthy(), refused), 0), EMPTY_MEMORY);
    expect(first.actions).toEqual([{ kind: ActionKind.REPOINT, host: 'backup', from: 'east-1', to: 'east-2', delaySeconds: 3600 }]);
    const againRefused = answers('backup', true, [channel('east-2', { io: 'No', ioErrno: 1236, delaySeconds: 3600 })], '');
    const second = decide(MESH, options, observation(replaced(healthy(), againRefused), 500), first.memory);
    expect(second.actions).toEqual([{ kind: ActionKind.REPOINT, host: 'backup', from: 'east-2', to: 'west-1', delaySeconds: 3600 }]);
    const lastRefused = answers('backup', true, [channel('west-1', { io: 'No', ioErrno: 1236, delaySeconds: 3600 })], '');
    const third = decide(MESH, options, observation(replaced(healthy(), lastRefused), 1000), second.memory);
    expect(third.actions).toEqual([]);
    expect(third.waiting).toBe('no master that answers holds the binary logs backup needs; seed it again');
  });

  test('connections a refused failover stopped start again once the writer answers', () => {
    const memory = { ...EMPTY_MEMORY, halted: [{ host: 'east-2', channel: 'east-1' }, { host: 'west-1', channel: 'east-1' }] };
    expect(decide(MESH, options, observation(healthy(), 0), memory).actions).toEqual([
      { kind: ActionKind.RESUME, host: 'east-2', from: 'east-1' }, { kind: ActionKind.RESUME, host: 'west-1', from: 'east-1' },
    ]);
  });

  test('with every master writable there is nothing to fail over', () => {
    const every = { ...MESH, writeMode: WriteMode.EVERY_MASTER };
    expect(decide(every, options, observation(replaced(healthy(), gone('east-1')), 0), EMPTY_MEMORY).actions).toEqual([]);
  });

  test('while a master is suspect the monitor looks faster', () => {
    expect(decide(MESH, options, observation(replaced(healthy(), silent('east-2')), 0), EMPTY_MEMORY).suspect).toBe(true);
    expect(decide(MESH, options, observation(healthy(), 0), EMPTY_MEMORY).suspect).toBe(false);
  });
});

describe('the failover\'s steps', () => {
  /** East-1 lost; the survivors stopped receiving from it. */
  const stopped = (overrides: Partial<ChannelView> = {}) => channel('east-1', { io: 'No', ...overrides });

  test('every connection from a lost master on a host that answers is stopped first', () => {
    const obs = observation(replaced(healthy(), gone('east-1')), 0);
    expect(connectionsFromLost(obs, ['east-1'])).toEqual([
      { host: 'east-2', channel: 'east-1' }, { host: 'west-1', channel: 'east-1' }, { host: 'backup', channel: 'east-1' },
    ]);
  });

  test('draining waits for appliers still running, restarts stalled ones, reports broken ones, and never waits on a delayed replica', () => {
    const obs = observation(replaced(healthy(), gone('east-1'),
      answers('east-2', true, [stopped({ relayApplied: false })]),
      answers('west-1', true, [stopped({ relayApplied: false, sql: 'No' })]),
      answers('analytics', true, [channel('east-2')]),
      answers('backup', true, [stopped({ relayApplied: false, delaySeconds: 3600 })])), 0);
    expect(drainState(obs, ['east-1'])).toEqual({ applying: [{ host: 'east-2', channel: 'east-1' }], stalled: [{ host: 'west-1', channel: 'east-1' }], broken: [] });
    const broken = observation(replaced(healthy(), answers('east-2', true, [stopped({ sql: 'No', sqlErrno: 1062, sqlError: 'Duplicate entry' })])), 0);
    expect(drainState(broken, ['east-1']).broken).toEqual([{ host: 'east-2', channel: 'east-1', error: '1062: Duplicate entry' }]);
  });

  test('the target is everything any survivor holds, per writer\'s domain; a replica\'s own domain does not count', () => {
    expect(unionOfPositions(MESH, [
      answers('east-2', true, [], '1-1-100,2-2-5'), answers('west-1', true, [], '1-1-103,2-2-4,3-3-1'), answers('analytics', true, [], '0-101-9,1-1-101'),
    ])).toBe('1-1-103,2-2-5,3-3-1');
  });

  const survivors = (east2: string, east3: string, west1: string, extra: HostView[] = []) => observation([
    gone('east-1'),
    answers('east-2', true, [stopped(), channel('east-3'), channel('west-1')], east2),
    answers('east-3', true, [stopped(), channel('east-2'), channel('west-1')], east3),
    answers('west-1', true, [stopped(), channel('east-2'), channel('east-3')], west1),
    ...extra,
  ], 0);

  test('the most advanced candidate wins though it is not first in priority', () => {
    const p = choosePromotion(FOUR, survivors('1-1-100', '1-1-103', '1-1-101', [answers('analytics', true, [], '1-1-100')]), ['east-1']) as Promotion;
    expect(p).toMatchObject({ candidate: 'east-3', target: '1-1-103', catchUpFrom: [], restart: [] });
    expect(p.passedOver).toEqual(['east-2: lacks 3 transactions, east-3 lacks 0']);
  });

  test('a tie goes to the first in priority', () => {
    expect(choosePromotion(FOUR, survivors('1-1-103', '1-1-103', '1-1-103'), ['east-1'])).toMatchObject({ candidate: 'east-2', target: '1-1-103' });
  });

  test('the DR master holds the most: the candidate catches up from it through its running connection before it takes writes', () => {
    const p = choosePromotion(FOUR, survivors('1-1-100', '1-1-99', '1-1-105'), ['east-1']) as Promotion;
    expect(p).toMatchObject({ candidate: 'east-2', target: '1-1-105', catchUpFrom: [], restart: [] });
  });

  test('a replica holds the most and no candidate has a connection from it: the candidate connects to it for the catch-up', () => {
    const p = choosePromotion(FOUR, survivors('1-1-100', '1-1-100', '1-1-100', [answers('analytics', true, [], '1-1-102')]), ['east-1']) as Promotion;
    expect(p).toMatchObject({ candidate: 'east-2', target: '1-1-102', catchUpFrom: ['analytics'], restart: [] });
  });

  test('the holder\'s connection on the candidate is stopped: it is started for the catch-up', () => {
    const obs = survivors('1-1-100', '1-1-99', '1-1-105');
    const east2 = obs.hosts.find((h) => h.name === 'east-2')!;
    const withStopped = { ...obs, hosts: replaced(obs.hosts, { ...east2, channels: [stopped(), channel('east-3'), channel('west-1', { io: 'No', sql: 'No' })] }) };
    expect(choosePromotion(FOUR, withStopped, ['east-1'])).toMatchObject({ candidate: 'east-2', catchUpFrom: [], restart: ['west-1'] });
  });

  test('a candidate whose applier broke on the lost writer\'s transactions is passed over', () => {
    const obs = survivors('1-1-103', '1-1-100', '1-1-103');
    const east2 = obs.hosts.find((h) => h.name === 'east-2')!;
    const broken = { ...obs, hosts: replaced(obs.hosts, { ...east2, channels: [stopped({ sql: 'No', sqlErrno: 1032, sqlError: 'row not found' })] }) };
    const p = choosePromotion(FOUR, broken, ['east-1']) as Promotion;
    expect(p.candidate).toBe('east-3');
    expect(p.passedOver).toContain('east-2: its replication from east-1 stopped on an error');
  });

  test('a master detached when it was lost is never promoted, and what it holds is not the target', () => {
    const obs = { ...survivors('1-1-100', '1-1-100', '1-1-100', []), detached: ['east-2'] };
    const east2 = obs.hosts.find((h) => h.name === 'east-2')!;
    const p = choosePromotion(FOUR, { ...obs, hosts: replaced(obs.hosts, { ...east2, binlogPos: '1-1-100,2-2-7' }) }, ['east-1']) as Promotion;
    expect(p).toMatchObject({ candidate: 'east-3', target: '1-1-100' });
  });

  test('no candidate can take the writes: the failover is refused, saying why for each', () => {
    const obs = observation([gone('east-1'), silent('east-2'), answers('west-1', true, [stopped()], '1-1-100')], 0);
    expect((choosePromotion(MESH, obs, ['east-1']) as Refusal).refusal).toBe('no candidate can take the writes (east-2: does not answer (silent)); failover refused');
  });

  test('replicas of the lost masters follow the new writer, each keeping its delay', () => {
    const obs = observation(replaced(healthy(), gone('east-1')), 0);
    expect(followersOf(MESH, obs, ['east-1'])).toEqual([{ replica: 'backup', from: 'east-1', delaySeconds: 3600 }]);
  });
});

describe('the Galera monitor\'s decisions', () => {
  const GALERA: ClusterDescription = {
    ...MESH, writers: ['node-1', 'node-2', 'node-3'], candidates: ['node-1', 'node-2', 'node-3'],
    galera: { clusterName: 'shop', nodes: ['node-1', 'node-2', 'node-3'], bootstrapNode: 'node-1', voters: 3, writeMode: 'one-node' },
    // One server id on every node; each its own address.
    hosts: [
      host('node-1', HostKind.GALERA_NODE, 1, []), host('node-2', HostKind.GALERA_NODE, 1, []), host('node-3', HostKind.GALERA_NODE, 1, []),
      host('analytics', HostKind.REPLICA, 101, ['node-1'], 60),
    ].map((h, i) => ({ ...h, replicationAddress: `10.213.1.${i + 1}` })),
  };
  const node = (name: string, galera: GaleraState): HostView => ({ name, reach: Reach.ANSWERS, readOnly: false, binlogPos: '1-1-9', channels: [], galera });
  const replica = answers('analytics', true, [channel('node-1', { delaySeconds: 60 })]);
  const tick = (at: number, hosts: HostView[], memory: MonitorMemory) => decideGalera(GALERA, options, { at, hosts, detached: [] }, memory);

  test('a replica of a node lost for the budget follows the first synced node, keeping its delay', () => {
    const first = tick(0, [node('node-1', GaleraState.SYNCED), node('node-2', GaleraState.DONOR), node('node-3', GaleraState.SYNCED), replica], EMPTY_MEMORY);
    const second = tick(1000, [silent('node-1'), node('node-2', GaleraState.DONOR), node('node-3', GaleraState.SYNCED), replica], first.memory);
    expect(second.actions).toEqual([]);
    const third = tick(4000, [node('node-1', GaleraState.OTHER), node('node-2', GaleraState.DONOR), node('node-3', GaleraState.SYNCED), replica], second.memory);
    expect(third.actions).toEqual([{ kind: ActionKind.REPOINT, host: 'analytics', from: 'node-1', to: 'node-3', delaySeconds: 60 }]);
  });

  test('a node never seen synced (a cluster still forming) is not lost', () => {
    const first = tick(0, [node('node-1', GaleraState.OTHER), node('node-2', GaleraState.SYNCED), node('node-3', GaleraState.SYNCED), replica], EMPTY_MEMORY);
    expect(tick(9000, [node('node-1', GaleraState.OTHER), node('node-2', GaleraState.SYNCED), node('node-3', GaleraState.SYNCED), replica], first.memory).actions).toEqual([]);
  });

  describe('every node lost', () => {
    const HISTORY = '375cd8e1-f124-11f1-91dc-837afd9c3679';
    const address = (n: string) => GALERA.hosts.find((h) => h.name === n)!.replicationAddress;
    const member = (name: string, members: string[]): HostView => ({ ...node(name, GaleraState.SYNCED), members: members.map(address) });
    const waiting = (name: string, seqno: number): HostView => ({ ...gone(name), waitingAt: `${HISTORY}:${seqno},1-1-${seqno - 4}` });
    const bootstrap = (host: string, seqno: number) => ({ kind: ActionKind.BOOTSTRAP, host, position: `${HISTORY}:${seqno},1-1-${seqno - 4}` });

    test('the node that left first is not waited for, and never chosen: the last members restart the cluster from the most advanced', () => {
      const all = tick(0, [member('node-1', ['node-1', 'node-2', 'node-3']), member('node-2', ['node-1', 'node-2', 'node-3']), member('node-3', ['node-1', 'node-2', 'node-3']), replica], EMPTY_MEMORY);
      const two = tick(1000, [gone('node-1'), member('node-2', ['node-2', 'node-3']), member('node-3', ['node-2', 'node-3']), replica], all.memory);
      expect(two.memory.lastPrimary).toEqual(['node-2', 'node-3']);
      const down = tick(2000, [gone('node-1'), gone('node-2'), gone('node-3'), replica], two.memory);
      expect(down.actions).toEqual([]);
      const oneBack = tick(3000, [waiting('node-1', 300), gone('node-2'), waiting('node-3', 568), replica], down.memory);
      expect(oneBack).toMatchObject({ actions: [], waiting: expect.stringContaining('waiting for node-2 to come back') });
      expect(tick(4000, [gone('node-1'), waiting('node-2', 570), waiting('node-3', 568), replica], oneBack.memory).actions).toEqual([bootstrap('node-2', 570)]);
      expect(tick(4000, [waiting('node-1', 300), waiting('node-2', 570), waiting('node-3', 571), replica], oneBack.memory).actions).toEqual([bootstrap('node-3', 571)]);
    });

    test('a member the monitor cannot reach, still reported in the primary component by its peers, is waited for', () => {
      const seen = tick(0, [gone('node-1'), member('node-2', ['node-1', 'node-2', 'node-3']), member('node-3', ['node-1', 'node-2', 'node-3']), replica], EMPTY_MEMORY);
      const back = tick(1000, [gone('node-1'), waiting('node-2', 570), waiting('node-3', 568), replica], seen.memory);
      expect(back).toMatchObject({ actions: [], waiting: expect.stringContaining('waiting for node-1') });
    });

    test('members reported by name, as Docker\'s nodes report them (wsrep_node_address is the host\'s name there), count alike', () => {
      const byName = (name: string, members: string[]): HostView => ({ ...node(name, GaleraState.SYNCED), members });
      const seen = tick(0, [gone('node-1'), byName('node-2', ['node-1', 'node-2', 'node-3']), byName('node-3', ['node-1', 'node-2', 'node-3']), replica], EMPTY_MEMORY);
      expect(seen.memory.lastPrimary).toEqual(['node-1', 'node-2', 'node-3']);
      expect(tick(1000, [gone('node-1'), waiting('node-2', 570), waiting('node-3', 568), replica], seen.memory))
        .toMatchObject({ actions: [], waiting: expect.stringContaining('waiting for node-1') });
    });

    test('a monitor that never saw the primary component waits for every node', () => {
      expect(tick(0, [gone('node-1'), waiting('node-2', 570), waiting('node-3', 568), replica], EMPTY_MEMORY))
        .toMatchObject({ actions: [], waiting: expect.stringContaining('every node') });
      expect(tick(0, [waiting('node-1', 12), waiting('node-2', 570), waiting('node-3', 568), replica], EMPTY_MEMORY).actions).toEqual([bootstrap('node-2', 570)]);
    });

    test('differing histories: nothing is done, and recover is named', () => {
      const other: HostView = { ...gone('node-3'), waitingAt: '11111111-2222-3333-4444-555555555555:900' };
      expect(tick(0, [waiting('node-1', 12), waiting('node-2', 570), other, replica], EMPTY_MEMORY))
        .toMatchObject({ actions: [], waiting: expect.stringMatching(/2 different cluster histories.*mariadb-ha recover/) });
    });

    test('automatic recovery off: nothing is done, and recover is named', () => {
      const off = resolveMonitorOptions({ galeraRecovery: false });
      expect(decideGalera(GALERA, off, { at: 0, hosts: [waiting('node-1', 12), waiting('node-2', 570), waiting('node-3', 568), replica], detached: [] }, EMPTY_MEMORY))
        .toMatchObject({ actions: [], waiting: expect.stringContaining("automatic recovery is off: 'mariadb-ha recover") });
    });

    test('a lock held by another actor (recover, a switchover) stops it', () => {
      expect(decideGalera(GALERA, options, { at: 0, hosts: [waiting('node-1', 12), waiting('node-2', 570), waiting('node-3', 568), replica], detached: [], lockedBy: 'recover' }, EMPTY_MEMORY).actions).toEqual([]);
    });
  });
});
