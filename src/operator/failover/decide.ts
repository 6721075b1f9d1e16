// The failover monitor's decisions: pure functions from what it observed (and what it remembers) to
// what must be done. The loop that observes and carries actions out is in monitor-loop.ts; the
// failover's own steps, which observe again between them, are in failover.ts.
import type { ClusterDescription, HostDescription } from '../../constructs/description';
import { HostKind } from '../../model/plan';
import { WriteMode } from '../../model/topology';
import { FailoverMonitorOptions } from '../../render/monitor-config';
import { formatGtidPosition, GtidEntry, parseGtidPosition, transactionsBehind } from '../gtid';
import { decideRestart } from '../galera/recovery';
import { channelOf, GaleraState, hostIn, HostView, Observation, Reach } from './observation';

/** What the monitor remembers between ticks. */
export interface MonitorMemory {
  /** When each host stopped answering (gone or silent), by name. */
  readonly unreachableSince: { readonly [host: string]: number };
  /** When the writer was first seen read-only with no master writable (a restart, not a failover). */
  readonly writerReadOnlySince?: number;
  /** Galera nodes seen synced at least once (a forming cluster loses no node). */
  readonly seenSynced?: readonly string[];
  /** Galera: the members of the primary component when one was last seen. */
  readonly lastPrimary?: readonly string[];
  /** Connections a failover stopped and that no promotion followed: they resume when the writer answers again. */
  readonly halted?: readonly ChannelRef[];
  /** Per replica, sources that refused its position (error 1236): not asked again. */
  readonly unservable?: { readonly [replica: string]: readonly string[] };
}

/** A source's answer when its binary logs start after the position a replica asks for. */
export const POSITION_NOT_SERVED = 1236;

export const EMPTY_MEMORY: MonitorMemory = { unreachableSince: {} };

export enum ActionKind {
  /** Record the writer: the one writable master, when no writer was known. */
  LEARN_WRITER = 'learn-writer',
  /** Fail over from the lost masters (the writer first) to a candidate. */
  FAIL_OVER = 'fail-over',
  /** Fence a writable master that is not the writer. */
  FENCE = 'fence',
  /** The writer restarted with no failover: it holds everything it committed, it takes writes again. */
  RESTORE_WRITER = 'restore-writer',
  /** A replica follows another source by GTID, keeping its delay. */
  REPOINT = 'repoint',
  /** A master drops its connection from a detached master. */
  DETACH = 'detach',
  /** A connection a failover stopped starts again: the writer it came from answers again. */
  RESUME = 'resume',
  /** A connection between hosts that answer, whose receiver stopped on a known transient error, starts again. */
  RESTART = 'restart',
  /** Galera: every node was lost; the cluster restarts from this waiting node, at `position`. */
  BOOTSTRAP = 'bootstrap',
}

/**
 * Receiver errors a restart clears: an event packet the semi-sync replica misread (MDEV-32947:
 * stopping or starting one semi-sync connection switches every other connection of the replica).
 * The receiver fetches again from the replica's position, nothing is lost.
 */
export const RESTARTABLE_RECEIVER_ERRORS: readonly number[] = [1593, 1595];

/** Connections between answering hosts (none from `lost` or a detached master) whose receiver stopped on a restartable error. */
export function brokenReceivers(obs: Observation, lost: string[] = []): ChannelRef[] {
  const fine = (source: string) => answers(hostIn(obs, source)) && !lost.includes(source) && !obs.detached.includes(source);
  return obs.hosts.filter(answers).flatMap((h) => h.channels
    .filter((c) => c.io === 'No' && RESTARTABLE_RECEIVER_ERRORS.includes(c.ioErrno) && fine(c.name))
    .map((c) => ({ host: h.name, channel: c.name })));
}

export interface Action {
  readonly kind: ActionKind;
  /** The host acted on (the writer learned, the master fenced or restored, the replica moved, the master detaching). */
  readonly host: string;
  /** FAIL_OVER: the masters lost, the writer first. */
  readonly lost?: string[];
  /** FAIL_OVER: the writer's process is known to be gone, so no detection budget was waited. */
  readonly certain?: boolean;
  /** REPOINT and DETACH: the source the host stops replicating from. */
  readonly from?: string;
  /** REPOINT: the source it follows instead. */
  readonly to?: string;
  readonly delaySeconds?: number;
  /** BOOTSTRAP: the position the node showed, which it must still show. */
  readonly position?: string;
}

export interface Decision {
  readonly actions: Action[];
  readonly memory: MonitorMemory;
  /** Why nothing (more) is done now, for the log; said once per change. */
  readonly waiting?: string;
  /** Ticks come faster while this is set: a master is suspect. */
  readonly suspect?: boolean;
}

const answers = (h: HostView | undefined) => h?.reach === Reach.ANSWERS;
const unreachable = (h: HostView | undefined) => h?.reach === Reach.GONE || h?.reach === Reach.SILENT;

function masters(d: ClusterDescription): HostDescription[] {
  return d.hosts.filter((h) => h.kind === HostKind.MASTER);
}

function remember(obs: Observation, memory: MonitorMemory): MonitorMemory {
  const since: { [host: string]: number } = {};
  for (const h of obs.hosts) {
    if (unreachable(h)) since[h.name] = memory.unreachableSince[h.name] ?? obs.at;
  }
  return { ...memory, unreachableSince: since };
}

/** How long a host has not answered, in ms (0 when it answers). */
function lostFor(memory: MonitorMemory, obs: Observation, host: string): number {
  const since = memory.unreachableSince[host];
  return since === undefined ? 0 : obs.at - since;
}

/**
 * Whether the masters that replicate from `host` lost it too: none of their connections from it
 * is still receiving. A frozen server keeps its TCP sessions until the replication heartbeat
 * times out, so a peer that still receives means the monitor alone may be cut off.
 */
function peersLost(d: ClusterDescription, obs: Observation, host: string): boolean {
  return masters(d).filter((m) => m.name !== host && answers(hostIn(obs, m.name)))
    .every((m) => (channelOf(hostIn(obs, m.name), host)?.io ?? 'No') !== 'Yes');
}

export enum LossVerdict {
  /** It answers (or refuses a login): not lost. */
  PRESENT = 'present',
  /** Not answering, but not for long enough to act. */
  SUSPECT = 'suspect',
  /** Lost: act. */
  LOST = 'lost',
}

/**
 * Whether a master is lost. At once when its process is gone and its peers lost it too; otherwise
 * after the detection budget, or twice that while a peer still receives from it.
 */
export function lossOf(d: ClusterDescription, options: Required<FailoverMonitorOptions>, obs: Observation, memory: MonitorMemory, host: string): { verdict: LossVerdict; certain: boolean } {
  const h = hostIn(obs, host);
  if (!unreachable(h)) return { verdict: LossVerdict.PRESENT, certain: false };
  const peers = peersLost(d, obs, host);
  if (h!.reach === Reach.GONE && peers) return { verdict: LossVerdict.LOST, certain: true };
  const ms = lostFor(memory, obs, host);
  const lost = ms >= options.detectionMs && (peers || ms >= 2 * options.detectionMs);
  return { verdict: lost ? LossVerdict.LOST : LossVerdict.SUSPECT, certain: false };
}

/** The one decision per tick for a master-master cluster with one writer at a time. */
export function decide(d: ClusterDescription, options: Required<FailoverMonitorOptions>, obs: Observation, previous: MonitorMemory): Decision {
  const memory = remember(obs, previous);
  if (obs.lockedBy) return { actions: [], memory, waiting: `${obs.lockedBy} holds the lock` };
  if (d.writeMode !== WriteMode.ONE_WRITER) return { actions: [], memory, waiting: 'every master takes writes: nothing to fail over' };
  const writable = masters(d).filter((m) => answers(hostIn(obs, m.name)) && hostIn(obs, m.name)!.readOnly === false).map((m) => m.name);
  const writer = obs.recordedWriter;
  if (!writer || !masters(d).some((m) => m.name === writer)) {
    if (writable.length === 1) return { actions: [{ kind: ActionKind.LEARN_WRITER, host: writable[0] }], memory };
    return { actions: [], memory, waiting: writable.length === 0 ? 'no master is writable yet (a switchover makes the first writer)' : `${writable.join(' and ')} are writable and no writer is recorded; run a switchover to choose` };
  }
  const w = hostIn(obs, writer);
  if (!answers(w) && w?.reach !== Reach.REFUSED) return failoverDecision(d, options, obs, memory, writer);
  if (w?.reach === Reach.REFUSED) return { actions: [], memory, waiting: `${writer} refuses the operator's login (a password rotation?)` };
  if (memory.halted?.length) {
    return { actions: memory.halted.map((c) => ({ kind: ActionKind.RESUME, host: c.host, from: c.channel })), memory: { ...memory, halted: undefined } };
  }
  if (w!.readOnly) {
    if (writable.length === 1) return { actions: [{ kind: ActionKind.LEARN_WRITER, host: writable[0] }], memory: { ...memory, writerReadOnlySince: undefined } };
    if (writable.length > 1) return { actions: [], memory, waiting: `${writer} is read-only and ${writable.join(' and ')} are writable` };
    // Every master starts read-only: the writer restarted and no failover happened, so it holds
    // everything it committed. Not at once: a switchover about to take the lock may have fenced it.
    const since = memory.writerReadOnlySince ?? obs.at;
    const next = { ...memory, writerReadOnlySince: since };
    if (obs.at - since < options.detectionMs) return { actions: [], memory: next, waiting: `${writer} is read-only; it takes writes again unless a switchover moves them` };
    return { actions: [{ kind: ActionKind.RESTORE_WRITER, host: writer }], memory: { ...memory, writerReadOnlySince: undefined } };
  }
  const follow = followWriter(d, options, obs, { ...memory, writerReadOnlySince: undefined }, writer);
  const actions: Action[] = writable.filter((m) => m !== writer).map((m) => ({ kind: ActionKind.FENCE, host: m }));
  actions.push(...follow.actions);
  actions.push(...brokenReceivers(obs).map((c) => ({ kind: ActionKind.RESTART, host: c.host, from: c.channel })));
  const suspect = masters(d).some((m) => lossOf(d, options, obs, follow.memory, m.name).verdict === LossVerdict.SUSPECT);
  return { actions, memory: follow.memory, suspect, waiting: follow.waiting };
}

/** The writer does not answer: fail over once it is lost and no other master is still in doubt. */
function failoverDecision(d: ClusterDescription, options: Required<FailoverMonitorOptions>, obs: Observation, memory: MonitorMemory, writer: string): Decision {
  const loss = lossOf(d, options, obs, memory, writer);
  if (loss.verdict !== LossVerdict.LOST) return { actions: [], memory, suspect: true, waiting: `${writer} (the writer) does not answer for ${lostFor(memory, obs, writer)} ms` };
  const others = masters(d).filter((m) => m.name !== writer);
  const doubtful = others.filter((m) => lossOf(d, options, obs, memory, m.name).verdict === LossVerdict.SUSPECT).map((m) => m.name);
  // A master that might still hold more of the writer's transactions than the others decides nothing yet.
  if (doubtful.length > 0) return { actions: [], memory, suspect: true, waiting: `${writer} is lost; waiting for ${doubtful.join(', ')} to answer or be lost too` };
  const lost = [writer, ...others.filter((m) => lossOf(d, options, obs, memory, m.name).verdict === LossVerdict.LOST).map((m) => m.name)];
  return { actions: [{ kind: ActionKind.FAIL_OVER, host: writer, lost, certain: loss.certain }], memory, suspect: true };
}

/**
 * With the writer in place: replicas whose source is lost (for the detection budget) or detached
 * follow the writer; masters still replicating from a detached master drop that connection.
 */
function followWriter(d: ClusterDescription, options: Required<FailoverMonitorOptions>, obs: Observation, memory: MonitorMemory, writer: string): { actions: Action[]; memory: MonitorMemory; waiting?: string } {
  const gone = (source: string) => obs.detached.includes(source) || (source !== writer && lossOf(d, options, obs, memory, source).verdict === LossVerdict.LOST);
  const unservable: { [replica: string]: readonly string[] } = { ...(memory.unservable ?? {}) };
  // A source that refused a replica's position (its binary log starts later: rebuilt, or purged)
  // is not asked again; the writer first, then the other masters that answer.
  const sourceFor = (refusing: string[]) => [writer, ...masters(d).map((m) => m.name)]
    .find((m) => !refusing.includes(m) && answers(hostIn(obs, m)) && !obs.detached.includes(m) && !gone(m));
  const actions: Action[] = [];
  const stuck: string[] = [];
  for (const host of d.hosts.filter((h) => answers(hostIn(obs, h.name)))) {
    for (const c of hostIn(obs, host.name)!.channels) {
      const refused = host.kind === HostKind.REPLICA && c.io === 'No' && c.ioErrno === POSITION_NOT_SERVED;
      if (!refused && (!gone(c.name) || c.name === writer)) continue;
      if (host.kind === HostKind.MASTER) {
        if (obs.detached.includes(c.name)) actions.push({ kind: ActionKind.DETACH, host: host.name, from: c.name });
        continue;
      }
      if (host.kind !== HostKind.REPLICA) continue;
      const refusing = [...(unservable[host.name] ?? []), ...(refused ? [c.name] : [])];
      if (refused) unservable[host.name] = [...new Set(refusing)];
      const to = sourceFor(refusing);
      if (to && to !== c.name) actions.push({ kind: ActionKind.REPOINT, host: host.name, from: c.name, to, delaySeconds: c.delaySeconds });
      else if (!to) stuck.push(host.name);
    }
  }
  return {
    actions,
    memory: { ...memory, unservable },
    waiting: stuck.length ? `no master that answers holds the binary logs ${stuck.join(', ')} ${stuck.length > 1 ? 'need' : 'needs'}; seed ${stuck.length > 1 ? 'them' : 'it'} again` : undefined,
  };
}

/** The Galera monitor's decision: replicas of a lost node follow the first synced node by GTID. */
export function decideGalera(d: ClusterDescription, options: Required<FailoverMonitorOptions>, obs: Observation, previous: MonitorMemory): Decision {
  const memory = remember(obs, previous);
  const nodes = d.galera?.nodes ?? [];
  const state = (n: string) => (answers(hostIn(obs, n)) ? hostIn(obs, n)!.galera : undefined);
  const inCluster = (n: string) => state(n) === GaleraState.SYNCED || state(n) === GaleraState.DONOR;
  const seen = [...new Set([...(memory.seenSynced ?? []), ...nodes.filter(inCluster)])];
  // Out of the cluster counts like not answering, once a node was seen synced.
  const outSince: { [host: string]: number } = { ...memory.unreachableSince };
  for (const n of nodes) {
    if (inCluster(n)) delete outSince[n];
    else if (seen.includes(n)) outSince[n] = previous.unreachableSince[n] ?? obs.at;
  }
  const primary = nodes.filter(inCluster);
  // Members are reported by their wsrep_node_address: the host's name on Docker (the network's DNS), its address elsewhere.
  const byAddress = (address: string) => d.hosts.find((h) => h.replicationAddress === address || h.name === address)?.name;
  const reported = primary.flatMap((n) => hostIn(obs, n)!.members ?? []).map(byAddress).filter((n): n is string => n !== undefined);
  const lastPrimary = primary.length ? [...new Set([...primary, ...reported])].sort((a, b) => nodes.indexOf(a) - nodes.indexOf(b)) : memory.lastPrimary;
  const next: MonitorMemory = { ...memory, unreachableSince: outSince, seenSynced: seen, lastPrimary };
  if (obs.lockedBy) return { actions: [], memory: next, waiting: `${obs.lockedBy} holds the lock` };
  if (primary.length === 0 && nodes.some((n) => hostIn(obs, n)?.waitingAt)) {
    if (!options.galeraRecovery) return { actions: [], memory: next, waiting: `no node is in a primary component; automatic recovery is off: 'mariadb-ha recover --cluster ${d.cluster}' restarts the cluster` };
    const restart = decideRestart(nodes, nodes.map((n) => ({ node: n, waitingAt: hostIn(obs, n)?.waitingAt })), lastPrimary);
    return { actions: restart.node ? [{ kind: ActionKind.BOOTSTRAP, host: restart.node, position: restart.position }] : [], memory: next, waiting: restart.waiting };
  }
  const target = nodes.find((n) => state(n) === GaleraState.SYNCED);
  if (!target) return { actions: [], memory: next, waiting: 'no node is synced' };
  const lost = (n: string) => outSince[n] !== undefined && obs.at - outSince[n] >= options.detectionMs;
  const actions: Action[] = [];
  for (const replica of d.hosts.filter((h) => h.kind === HostKind.REPLICA && answers(hostIn(obs, h.name)))) {
    for (const c of hostIn(obs, replica.name)!.channels.filter((ch) => nodes.includes(ch.name) && lost(ch.name))) {
      actions.push({ kind: ActionKind.REPOINT, host: replica.name, from: c.name, to: target, delaySeconds: c.delaySeconds });
    }
  }
  return { actions, memory: next };
}

// ---- The failover's own steps, each a judgement of a fresh observation ----

/** A connection to stop or drop: on `host`, the one from `channel`. */
export interface ChannelRef {
  readonly host: string;
  readonly channel: string;
}

/** Every connection from a lost master on a host that answers: the first thing a failover stops. */
export function connectionsFromLost(obs: Observation, lost: string[]): ChannelRef[] {
  return obs.hosts.filter(answers).flatMap((h) => h.channels.filter((c) => lost.includes(c.name)).map((c) => ({ host: h.name, channel: c.name })));
}

export interface DrainState {
  /** Connections still applying what they received from a lost master. */
  readonly applying: ChannelRef[];
  /** Connections whose applier stopped on an error: that host keeps less than it received. */
  readonly broken: Array<ChannelRef & { error: string }>;
  /** Connections stopped before they applied everything (an earlier attempt): their applier must run again. */
  readonly stalled: ChannelRef[];
}

/**
 * Whether the survivors have applied what they received from the lost masters. A delayed
 * connection is not waited for: it is dropped with its relay log when its replica follows the new
 * writer, which then sends it everything again, delay kept.
 */
export function drainState(obs: Observation, lost: string[]): DrainState {
  const applying: ChannelRef[] = [];
  const broken: Array<ChannelRef & { error: string }> = [];
  const stalled: ChannelRef[] = [];
  for (const h of obs.hosts.filter(answers)) {
    for (const c of h.channels.filter((ch) => lost.includes(ch.name) && ch.delaySeconds === 0)) {
      const ref = { host: h.name, channel: c.name };
      if (c.sqlErrno !== 0) broken.push({ ...ref, error: `${c.sqlErrno}: ${c.sqlError}` });
      else if (!c.relayApplied) (c.sql === 'Yes' ? applying : stalled).push(ref);
    }
  }
  return { applying, broken, stalled };
}

export interface Promotion {
  readonly candidate: string;
  /** Everything any survivor holds, per writer's GTID domain: what the candidate must hold before it takes a write. */
  readonly target: string;
  /** Hosts holding what the candidate lacks that it has no connection from: it connects to them for the catch-up. */
  readonly catchUpFrom: string[];
  /** Its stopped connections from hosts holding what it lacks: started for the catch-up. */
  readonly restart: string[];
  /** Why the others were passed over, for the log. */
  readonly passedOver: string[];
}

export interface Refusal {
  readonly refusal: string;
}

/** Per GTID domain owned by a master, the most advanced position any of these hosts logged. */
export function unionOfPositions(d: ClusterDescription, hosts: HostView[]): string {
  const owned = new Set(masters(d).map((m) => m.gtidDomainId));
  const best = new Map<number, GtidEntry>();
  for (const h of hosts) {
    for (const e of parseGtidPosition(h.binlogPos).values()) {
      if (!owned.has(e.domain)) continue;
      const have = best.get(e.domain);
      if (!have || e.seqNo > have.seqNo) best.set(e.domain, e);
    }
  }
  return formatGtidPosition(best);
}

/**
 * The candidate to promote once the survivors have stopped receiving from the lost masters and
 * applied what they had: among the eligible candidates (planned candidates that answer, were not
 * detached and whose connection from the writer is not broken), the one lacking the fewest
 * transactions of what any survivor holds, priority order breaking ties. It must then catch up to
 * everything any survivor holds, so no survivor ever holds a transaction the new writer lacks.
 */
export function choosePromotion(d: ClusterDescription, obs: Observation, lost: string[]): Promotion | Refusal {
  const survivors = obs.hosts.filter((h) => answers(h) && !lost.includes(h.name) && !obs.detached.includes(h.name));
  const target = unionOfPositions(d, survivors);
  const passedOver: string[] = [];
  const eligible: Array<{ name: string; behind: bigint }> = [];
  for (const name of d.candidates) {
    const h = hostIn(obs, name);
    const why = lost.includes(name) ? 'lost'
      : obs.detached.includes(name) ? 'detached when it was lost; it rejoins first'
      : !answers(h) ? `does not answer (${h?.reach ?? 'not probed'})`
      : lost.map((l) => channelOf(h, l)).find((c) => c && c.sqlErrno !== 0) ? `its replication from ${lost[0]} stopped on an error`
      : undefined;
    if (why) { if (!lost.includes(name)) passedOver.push(`${name}: ${why}`); continue; }
    eligible.push({ name, behind: transactionsBehind(target, h!.binlogPos ?? '') });
  }
  if (eligible.length === 0) {
    return { refusal: `no candidate can take the writes (${passedOver.join('; ') || `candidates: ${d.candidates.join(', ')}`}); failover refused` };
  }
  const best = eligible.reduce((a, b) => (b.behind < a.behind ? b : a));
  for (const e of eligible.filter((x) => x !== best)) passedOver.push(`${e.name}: lacks ${e.behind} transactions, ${best.name} lacks ${best.behind}`);
  const candidate = hostIn(obs, best.name)!;
  return { candidate: best.name, target, ...catchUpSources(d, survivors, candidate, target), passedOver };
}

/**
 * Where the candidate gets what it lacks of each domain: nothing to do when a running connection
 * from a holder brings it (masters log what they apply); else a stopped connection from a holder
 * is started, or a connection to the first holder (in description order, masters first) is made.
 */
function catchUpSources(d: ClusterDescription, survivors: HostView[], candidate: HostView, target: string): { catchUpFrom: string[]; restart: string[] } {
  const have = parseGtidPosition(candidate.binlogPos);
  const catchUpFrom = new Set<string>();
  const restart = new Set<string>();
  const running = (name: string) => channelOf(candidate, name)?.io === 'Yes' && channelOf(candidate, name)?.sql === 'Yes';
  for (const t of parseGtidPosition(target).values()) {
    if ((have.get(t.domain)?.seqNo ?? -1n) >= t.seqNo) continue;
    const holders = survivors.filter((s) => s.name !== candidate.name && (parseGtidPosition(s.binlogPos).get(t.domain)?.seqNo ?? -1n) >= t.seqNo)
      .sort((a, b) => d.hosts.findIndex((x) => x.name === a.name) - d.hosts.findIndex((x) => x.name === b.name));
    if (holders.some((s) => running(s.name))) continue;
    const stopped = holders.find((s) => channelOf(candidate, s.name));
    if (stopped) restart.add(stopped.name);
    else if (holders[0]) catchUpFrom.add(holders[0].name);
  }
  return { catchUpFrom: [...catchUpFrom], restart: [...restart] };
}

/** A replica that followed a lost master follows the new writer, with its delay. */
export interface Follower {
  readonly replica: string;
  readonly from: string;
  readonly delaySeconds: number;
}

/** Replicas (never masters) that replicate from a lost master. */
export function followersOf(d: ClusterDescription, obs: Observation, lost: string[]): Follower[] {
  return d.hosts.filter((h) => h.kind === HostKind.REPLICA && answers(hostIn(obs, h.name))).flatMap((h) => hostIn(obs, h.name)!.channels
    .filter((c) => lost.includes(c.name)).map((c) => ({ replica: h.name, from: c.name, delaySeconds: c.delaySeconds })));
}
