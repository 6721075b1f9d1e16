// Growing and shrinking the writers of a running cluster. `mariadb-ha writers` (terraform apply
// runs it when the masters change) moves every running master to its planned key slot without two
// writers ever generating the same key, then gives it its planned replication connections;
// `mariadb-ha leave` (run before a removed master's container is destroyed) refuses to remove the
// writer, and otherwise fences the master, lets its peers catch up with it and drops their
// connections to it.
import type { ClusterDescription, HostDescription } from '../constructs/description';
import { describeSlot, KeySlot, planIncrementRollout, SlotChange } from '../model/increments';
import { HostKind } from '../model/plan';
import { DATA_DIR, JOINING_MARKER, SERVER_CONFIG_PATH } from '../render/entrypoint';
import { sqlString } from '../render/sql';
import { KILL_APPLICATION_SESSIONS, resetChannel, setKeySlot, setReadOnly, stopChannel } from '../render/statements';
import { reconnect } from '../operator/channels';
import { endpointsOf, hostAccessOf } from '../operator/cluster-ref';
import { masterStartPosition, withoutDomain } from '../operator/gtid';
import { hostFileExists, removeHostFiles } from '../operator/host-files';
import { MonitorLock, MonitorState } from '../operator/monitor-state';
import { Login, rootSql } from '../operator/sql-client';
import { APPLICATION_USER } from '../model/accounts';
import { execChecked, HostAccess } from '../backends/host-access';
import { HostStatus, readHostStatus } from '../operator/replication-status';
import { waitForBinlogGtid, waitForGtid } from '../operator/server-ops';

/** Set to a cluster id (several comma-separated, or `*` for all) when the whole cluster is being destroyed. */
export const DESTROY_CLUSTER_ENV = 'MARIADB_HA_DESTROY_CLUSTER';

export interface WritersOptions {
  readonly description: ClusterDescription;
  readonly monitor: Login;
  readonly operator: Login;
  readonly replicationPassword: () => string;
  readonly catchUpTimeoutSeconds: number;
  readonly progress: (line: string) => void;
}

function mastersOf(description: ClusterDescription): HostDescription[] {
  return description.hosts.filter((h) => h.kind === HostKind.MASTER);
}

/** With WriteMode.EVERY_MASTER every master's config leaves it writable. */
function everyMasterWrites(description: ClusterDescription): boolean {
  return mastersOf(description).every((m) => m.settings.read_only === 'OFF');
}

function plannedSlot(host: HostDescription): KeySlot {
  return { increment: Number(host.settings.auto_increment_increment), offset: Number(host.settings.auto_increment_offset ?? 1) };
}

async function liveSlot(description: ClusterDescription, host: HostDescription): Promise<KeySlot> {
  const [increment, offset] = (await rootSql(hostAccessOf(description), host.backendName, ['SELECT @@GLOBAL.auto_increment_increment, @@GLOBAL.auto_increment_offset'])).trim().split(/\s+/).map(Number);
  return { increment, offset };
}

/** Sets a slot live and in the host's config file, so a restart keeps what runs now. */
async function setSlot(description: ClusterDescription, host: HostDescription, slot: KeySlot): Promise<void> {
  const access = hostAccessOf(description);
  await rootSql(access, host.backendName, setKeySlot(slot.increment, slot.offset));
  const persist = [['auto_increment_increment', slot.increment], ['auto_increment_offset', slot.offset]]
    .map(([name, value]) => `if grep -q '^${name} = ' ${SERVER_CONFIG_PATH}; then sed -i 's/^${name} = .*/${name} = ${value}/' ${SERVER_CONFIG_PATH}; else echo '${name} = ${value}' >> ${SERVER_CONFIG_PATH}; fi`)
    .join('; ');
  await execChecked(access, host.backendName, ['sh', '-c', persist], { timeoutMs: 20_000 });
}

/** Whether the host carries the entrypoint's joining marker (a writable master copied into a running cluster). */
async function heldReadOnly(description: ClusterDescription, host: HostDescription): Promise<boolean> {
  return hostFileExists(hostAccessOf(description), host.backendName, `${DATA_DIR}/${JOINING_MARKER}`);
}

/** Takes the failover monitor's lock when a monitor runs (none while the cluster is created or the monitor is replaced). */
async function lockIfMonitored(description: ClusterDescription, owner: string): Promise<MonitorLock | undefined> {
  const container = description.endpoint?.haproxy?.monitorContainer;
  if (!container) return undefined;
  const access = hostAccessOf(description);
  return (await access.isRunning(container)) ? new MonitorState(access, container).lock(owner, 30_000) : undefined;
}

async function statusesOf(description: ClusterDescription, hosts: HostDescription[], login: Login): Promise<Map<string, HostStatus>> {
  const endpoints = endpointsOf(description);
  const statuses = await Promise.all(hosts.map((h) => readHostStatus(endpoints.find((e) => e.name === h.name)!, login)));
  return new Map(statuses.map((s) => [s.name, s]));
}

/**
 * Closes every application session a server started before now (its slot may be an old one). A
 * session copies the server's settings when its connection is accepted, and connection ids only
 * grow, so every session older than a connection opened now is closed; `KILL USER` alone misses a
 * connection still logging in.
 */
async function closeSessionsFromBefore(access: HostAccess, container: string): Promise<void> {
  const boundary = Number((await rootSql(access, container, ['SELECT CONNECTION_ID()'])).trim());
  for (let attempt = 0; attempt < 50; attempt++) {
    const ids = (await rootSql(access, container, [
      `SELECT ID FROM information_schema.PROCESSLIST WHERE ID < ${boundary} AND USER IN (${sqlString(APPLICATION_USER)}, 'unauthenticated user')`,
    ])).split('\n').filter((id) => /^\d+$/.test(id));
    if (ids.length === 0) return;
    // One at a time: a session that ended meanwhile fails its KILL (unknown thread), which would end a batch.
    for (const id of ids) await rootSql(access, container, [`KILL CONNECTION ${id}`]).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${container}: application sessions from before the key change still run after 50 attempts to close them; nothing is widened: apply again`);
}

/**
 * Waits until every staying master has applied what the others wrote with their old slots: a
 * master's next key comes from the highest it holds, so one that widens before it holds a peer's
 * last old-slot key can number a row with that same key (seen when replication lagged the widening).
 */
async function applyOldSlotKeys(options: WritersOptions, staying: HostDescription[]): Promise<void> {
  const endpoints = endpointsOf(options.description);
  const endpoint = (m: HostDescription) => endpoints.find((e) => e.name === m.name)!;
  const positions = await Promise.all(staying.map(async (m) => (await readHostStatus(endpoint(m), options.monitor)).gtidBinlogPos ?? ''));
  for (const [i, writer] of staying.entries()) {
    for (const peer of staying.filter((p) => p !== writer)) {
      if (!(await waitForBinlogGtid(endpoint(peer), options.monitor, positions[i], options.catchUpTimeoutSeconds))) {
        throw new Error(`${peer.name} did not apply ${writer.name}'s writes up to ${positions[i]} within ${options.catchUpTimeoutSeconds} s; the key slots stay narrowed (safe); see 'mariadb-ha status', then apply again`);
      }
    }
  }
}

/**
 * Moves the running writers' key slots in the rollout's order. With every master writing, the
 * narrowing comes first and sessions holding an old slot are closed; the returned widening runs
 * once the masters are connected as planned and each holds what the others wrote with old slots.
 */
async function rollOutSlots(options: WritersOptions, masters: HostDescription[], joining: string[], everyMaster: boolean, progress: (line: string) => void): Promise<() => Promise<void>> {
  const { description } = options;
  const staying = masters.filter((m) => !joining.includes(m.name));
  const live = Object.fromEntries(await Promise.all(staying.map(async (m) => [m.name, await liveSlot(description, m)] as [string, KeySlot])));
  const planned = Object.fromEntries(masters.map((m) => [m.name, plannedSlot(m)]));
  let rollout = planIncrementRollout(live, planned);
  if (rollout.problems.length > 0) {
    if (everyMaster) throw new Error(`refused: no order of changes keeps the writers' keys apart (nothing was changed):\n  ${rollout.problems.join('\n  ')}`);
    // One writer at a time: only concurrent writers can collide, so the slots are set directly.
    progress(`  no order keeps every writer's keys apart (${rollout.problems.join('; ')}); with one writer the slots are set directly`);
    rollout = { narrow: [], widen: staying.filter((m) => live[m.name].increment !== planned[m.name].increment || live[m.name].offset !== planned[m.name].offset)
      .map((m) => ({ host: m.name, from: live[m.name], to: planned[m.name] })), problems: [] };
  }
  const apply = async (changes: SlotChange[]) => {
    for (const change of changes) {
      await setSlot(description, masters.find((m) => m.name === change.host)!, change.to);
      progress(`  ${change.host}: ${describeSlot(change.from)} -> ${describeSlot(change.to)}`);
    }
  };
  await apply(rollout.narrow);
  // A session keeps the slot it started with; one from before the narrowing could collide after the widening.
  if (everyMaster && rollout.narrow.length > 0) {
    for (const change of rollout.narrow) await closeSessionsFromBefore(hostAccessOf(description), masters.find((m) => m.name === change.host)!.backendName);
    progress(`  closed application sessions started before the narrowing on ${rollout.narrow.map((c) => c.host).join(', ')}`);
  }
  const widen = rollout.widen;
  const holdOldKeys = everyMaster && rollout.narrow.length > 0;
  return async () => {
    if (holdOldKeys) await applyOldSlotKeys(options, staying);
    await apply(widen);
  };
}

/** The GTID state a server's oldest binary log starts with; a replica asking it for less in any domain is refused (error 1236). */
async function binlogStart(description: ClusterDescription, container: string): Promise<string> {
  const access = hostAccessOf(description);
  const [oldest] = (await rootSql(access, container, ['SHOW BINARY LOGS'])).trim().split('\n')[0].split('\t');
  const start = (await rootSql(access, container, [`SELECT BINLOG_GTID_POS(${sqlString(oldest)}, 4)`])).trim();
  return start === 'NULL' ? '' : start;
}

/**
 * Connections a running master lacks, or no longer needs. A new connection asks its source for
 * everything after the master's start position, so first the master holds what the source's
 * binary log starts with (a seeded copy's starts at its copy) and the source what the master has
 * applied; the master's replication is stopped while its start position is set and the connections made.
 */
async function connectAsPlanned(master: HostDescription, status: HostStatus, options: WritersOptions, endpoints: ReturnType<typeof endpointsOf>): Promise<string | undefined> {
  const missing = master.sources.filter((s) => !status.channels.some((c) => c.connectionName === s));
  const extra = status.channels.map((c) => c.connectionName).filter((n) => !master.sources.includes(n));
  if (missing.length === 0 && extra.length === 0) return undefined;
  const endpoint = (name: string) => endpoints.find((e) => e.name === name)!;
  const own = master.gtidDomainId;
  const applied = withoutDomain(status.gtidSlavePos, own);
  for (const source of missing) {
    const start = withoutDomain(await binlogStart(options.description, options.description.hosts.find((h) => h.name === source)!.backendName), own);
    if (!(await waitForBinlogGtid(endpoint(master.name), options.operator, start, options.catchUpTimeoutSeconds))) {
      throw new Error(`${master.name} did not reach ${start}, where ${source}'s binary log starts, within ${options.catchUpTimeoutSeconds} s; see 'mariadb-ha status', then apply again`);
    }
    if (!(await waitForGtid(endpoint(source), options.operator, applied, options.catchUpTimeoutSeconds))) {
      throw new Error(`${source} did not reach ${master.name}'s replication position ${applied} within ${options.catchUpTimeoutSeconds} s; see 'mariadb-ha status', then apply again`);
    }
  }
  await reconnect(hostAccessOf(options.description), options.description, master.name, options.monitor, options.replicationPassword(), {
    add: missing, drop: extra, resumeFrom: async (stopped) => masterStartPosition(stopped.gtidSlavePos, stopped.gtidBinlogPos, own),
  });
  return `  ${master.name}: ${[...missing.map((s) => `replicates from ${s}`), ...extra.map((n) => `dropped its connection from ${n}`)].join(', ')}`;
}

/** `mariadb-ha writers`: the running masters take their planned key slots and connections. */
export async function applyWriters(options: WritersOptions): Promise<string> {
  const { description, progress } = options;
  const masters = mastersOf(description);
  const endpoints = endpointsOf(description);
  const before = await statusesOf(description, masters, options.monitor);
  const unreachable = masters.filter((m) => !before.get(m.name)!.reachable);
  if (unreachable.length > 0) {
    throw new Error(`refused: ${unreachable.map((m) => `${m.name} (${before.get(m.name)!.error})`).join(', ')} unreachable; start them and apply again (nothing was changed)`);
  }
  // A master no peer replicates from yet, or one copied in and held read-only, has just been added:
  // it takes no keys until the others have moved.
  const unconnected = (m: HostDescription) => masters.some((peer) => peer.sources.includes(m.name) && !before.get(peer.name)!.channels.some((c) => c.connectionName === m.name));
  const joining = (await Promise.all(masters.map(async (m) => (unconnected(m) || (await heldReadOnly(description, m)) ? m.name : undefined))))
    .filter((name): name is string => name !== undefined);
  const everyMaster = everyMasterWrites(description);
  const lock = await lockIfMonitored(description, 'writers');
  const done: string[] = [];
  try {
    if (joining.length > 0) progress(`joining: ${joining.join(', ')}`);
    const widen = await rollOutSlots(options, masters, joining, everyMaster, (line) => { progress(line); done.push(line); });
    const now = await statusesOf(description, masters, options.monitor);
    for (const master of masters) {
      const line = await connectAsPlanned(master, now.get(master.name)!, options, endpoints);
      if (line) { progress(line); done.push(line); }
    }
    await widen();
    for (const name of joining) {
      const master = masters.find((m) => m.name === name)!;
      await removeHostFiles(hostAccessOf(description), master.backendName, [`${DATA_DIR}/${JOINING_MARKER}`]);
      if (everyMaster) {
        await rootSql(hostAccessOf(description), master.backendName, setReadOnly(false, 5));
        progress(`  ${name} takes writes`);
      }
    }
  } finally {
    await lock?.release();
  }
  return done.length === 0 && joining.length === 0
    ? `the masters (${masters.map((m) => m.name).join(', ')}) already replicate and number keys as planned`
    : `the masters (${masters.map((m) => m.name).join(', ')}) replicate and number keys as planned`;
}

export interface LeaveOptions extends Omit<WritersOptions, 'replicationPassword'> {
  readonly host: string;
}

/** `mariadb-ha leave --host <master>`: run before a removed master is destroyed. */
export async function leave(options: LeaveOptions): Promise<string> {
  const { description, host, progress } = options;
  if ((process.env[DESTROY_CLUSTER_ENV] ?? '').split(',').some((id) => id === '*' || id === description.cluster)) {
    return `${description.cluster} is being destroyed as a whole (${DESTROY_CLUSTER_ENV}); ${host} is not moved out first`;
  }
  const me = mastersOf(description).find((m) => m.name === host);
  if (!me) throw new Error(`refused: ${host} is not a master of ${description.cluster}`);
  const peers = mastersOf(description).filter((m) => m.name !== host);
  const statuses = await statusesOf(description, [me, ...peers], options.monitor);
  const mine = statuses.get(host)!;
  const everyMaster = everyMasterWrites(description);
  if (mine.reachable && !mine.readOnly && !everyMaster) {
    throw new Error(`refused: ${host} is the writer of ${description.cluster}; move the writes first (mariadb-ha switchover --cluster ${description.cluster} --to <another master>, `
      + `or set the ${description.cluster.replace(/[^A-Za-z0-9_]/g, '_')}_active_master variable in an apply of its own), then apply again; nothing was destroyed. `
      + `To destroy the whole cluster, set ${DESTROY_CLUSTER_ENV}=${description.cluster}.`);
  }
  const lock = await lockIfMonitored(description, `leave ${host}`);
  try {
    if (!mine.reachable) {
      progress(`${host} is unreachable (${mine.error}); its peers stop replicating from it`);
    } else {
      if (everyMaster && !mine.readOnly) {
        await rootSql(hostAccessOf(description), me.backendName, [...setReadOnly(true, 5), KILL_APPLICATION_SESSIONS]);
        progress(`${host} is fenced (read-only, application sessions closed)`);
      }
      // Everything the leaving master committed stays in the cluster: in each peer's own binary log
      // (masters log what they apply), not its replica position, which need not track the peer's own domain.
      const position = (await readHostStatus(endpointsOf(description).find((e) => e.name === host)!, options.monitor)).gtidBinlogPos ?? '';
      for (const peer of peers.filter((p) => statuses.get(p.name)!.reachable)) {
        if (!(await waitForBinlogGtid(endpointsOf(description).find((e) => e.name === peer.name)!, options.operator, position, options.catchUpTimeoutSeconds))) {
          throw new Error(`${peer.name} did not reach ${host}'s position ${position} within ${options.catchUpTimeoutSeconds} s; ${host} stays (fenced); see 'mariadb-ha status', then apply again`);
        }
      }
    }
    const dropped: string[] = [];
    for (const peer of peers.filter((p) => statuses.get(p.name)!.channels.some((c) => c.connectionName === host))) {
      await rootSql(hostAccessOf(description), peer.backendName, [stopChannel(host), resetChannel(host)]);
      dropped.push(peer.name);
    }
    return `${host} left ${description.cluster}: ${dropped.length > 0 ? `${dropped.join(', ')} no longer ${dropped.length === 1 ? 'replicates' : 'replicate'} from it` : 'no peer replicated from it'}`;
  } finally {
    await lock?.release();
  }
}
