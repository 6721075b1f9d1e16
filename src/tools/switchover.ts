// Planned switchover, one writer at a time: check health, let the target catch up, then in one
// short window hold new connections, fence the old master, let the target apply its last writes,
// make it writable and pin it; then verify. No acknowledged write or update is lost. With a
// failover monitor (one writer at a time), the switchover holds the monitor's lock throughout, so
// exactly one actor moves the writer, and the same run makes the first writer of a new cluster.
import type { ClusterDescription, EndpointDescription, EndpointInstance } from '../constructs/replication-cluster';
import { errantTransactions, oneWriter, writableMasters } from './analysis';
import { HaproxyRuntime, ServerState } from './haproxy-runtime';
import { Login, queryRows, withConnection } from './mariadb-client';
import { gtidBinlogPos, killApplicationSessions, setReadOnly, waitForGtid } from './server-ops';
import { run } from './process';
import { channelHealthy, HostStatus, readClusterStatus } from './replication-status';
import { hasReached } from './gtid';
import { MonitorLock, takeMonitorLock } from './monitor-lock';
import { endpointsOf } from './cluster-ref';
import { ENDPOINT_STATE_DIR, GATE_MAX_HOLD_MS, haproxyServerId } from '../render/haproxy-config';

export enum SwitchoverOutcome {
  DONE = 'done',
  ALREADY_ACTIVE = 'already-active',
  REFUSED = 'refused',
  FAILED = 'failed',
}

export const EXIT_CODES: Record<SwitchoverOutcome, number> = {
  [SwitchoverOutcome.DONE]: 0,
  [SwitchoverOutcome.ALREADY_ACTIVE]: 0,
  [SwitchoverOutcome.REFUSED]: 1,
  [SwitchoverOutcome.FAILED]: 3,
};

export interface SwitchoverOptions {
  readonly description: ClusterDescription;
  readonly target: string;
  readonly monitor: Login;
  /** The switchover account: fences the old master and closes its sessions. */
  readonly operator: Login;
  /** Refuse when the target is further behind than this. */
  readonly maxLagSeconds: number;
  /** How long the target may take to apply what the old master had committed. */
  readonly catchUpTimeoutSeconds: number;
  /** Keep re-checking a failed preflight this long before refusing (for fresh deployments). */
  readonly waitHealthySeconds: number;
  /** The endpoint config naming the target as active, written into the endpoint for restarts. */
  readonly persistConfig?: string;
  readonly progress: (line: string) => void;
}

export interface SwitchoverResult {
  readonly outcome: SwitchoverOutcome;
  readonly message: string;
  readonly from?: string;
  readonly seconds: number;
  /** Milliseconds new connections were held while no master took writes. */
  readonly windowMs?: number;
}

/** Why a switchover from `current` to `target` must not start now; empty when it may. */
export function preflightProblems(description: ClusterDescription, status: HostStatus[], current: string, target: string, maxLagSeconds: number): string[] {
  const problems: string[] = [];
  const byName = new Map(status.map((s) => [s.name, s]));
  if (!description.candidates.includes(target)) {
    problems.push(`${target} is not a promotion candidate (candidates: ${description.candidates.join(', ')})`);
  }
  for (const name of description.writers) {
    const s = byName.get(name);
    if (!s?.reachable) {
      problems.push(`${name} is unreachable (${s?.error ?? 'no status'})`);
      continue;
    }
    for (const c of s.channels.filter((ch) => description.writers.includes(ch.connectionName))) {
      if (!channelHealthy(c)) {
        problems.push(`replication ${c.connectionName} -> ${name} is broken: IO ${c.ioRunning}, SQL ${c.sqlRunning}${c.lastSqlError || c.lastIoError ? `: ${c.lastSqlError || c.lastIoError}` : ''}`);
      }
    }
  }
  const t = byName.get(target);
  if (t?.reachable && description.candidates.includes(target)) {
    const fromCurrent = t.channels.find((c) => c.connectionName === current);
    if (current !== target && !fromCurrent) problems.push(`${target} does not replicate from ${current}`);
    if (fromCurrent?.secondsBehind !== null && fromCurrent?.secondsBehind !== undefined && fromCurrent.secondsBehind > maxLagSeconds) {
      problems.push(`${target} is ${fromCurrent.secondsBehind} s behind ${current} (limit ${maxLagSeconds} s)`);
    }
    const errant = errantTransactions(description, t);
    if (errant.length > 0) problems.push(`${target} has errant transactions: ${errant.join(', ')}`);
  }
  return problems;
}

/** Why `target` must not become the first writer (no master writable): it must hold everything any master logged. */
export function establishProblems(description: ClusterDescription, status: HostStatus[], target: string): string[] {
  const t = status.find((s) => s.name === target);
  if (!t?.reachable) return [];
  return status
    .filter((s) => s.name !== target && description.writers.includes(s.name) && s.reachable && !hasReached(t.gtidCurrentPos ?? '', s.gtidBinlogPos ?? ''))
    .map((s) => `${target} lacks transactions ${s.name} logged (${s.name} at ${s.gtidBinlogPos}, ${target} at ${t.gtidCurrentPos}); make ${s.name} the writer, or let ${target} catch up`);
}

function requireEndpoint(description: ClusterDescription): EndpointDescription {
  if (!description.endpoint) throw new Error(`cluster ${description.cluster} has no writer endpoint to switch`);
  return description.endpoint;
}

function runtimeOf(instance: EndpointInstance): HaproxyRuntime {
  return HaproxyRuntime.of(instance.backendName);
}

/** An instance's servers, and the master its stick entry pins if that master is up. */
export async function pinnedWriter(description: ClusterDescription, instance: EndpointInstance): Promise<{ pinned?: string; servers: ServerState[] }> {
  const endpoint = requireEndpoint(description);
  const runtime = runtimeOf(instance);
  const stuck = await runtime.stuckServerId(endpoint.backend);
  const servers = await runtime.servers(endpoint.backend);
  const name = stuck === undefined ? undefined : description.hosts.find((_, i) => haproxyServerId(i) === stuck)?.name;
  // A pinned server that is down no longer takes connections.
  return { pinned: servers.find((s) => s.name === name)?.status.startsWith('UP') ? name : undefined, servers };
}

/** The master one endpoint instance sends new connections to: its stick entry, or where a probe lands. */
export async function instanceServing(description: ClusterDescription, instance: EndpointInstance, monitor: Login): Promise<string> {
  const { pinned } = await pinnedWriter(description, instance);
  return pinned ?? probe(description, { host: instance.clientAddress, port: instance.clientPort }, monitor);
}

/** The master the endpoint sends new connections to; every instance must agree. */
export async function endpointServing(description: ClusterDescription, monitor: Login): Promise<string> {
  const instances = requireEndpoint(description).instances;
  const serving = await Promise.all(instances.map(async (i) => {
    try {
      return await instanceServing(description, i, monitor);
    } catch {
      return undefined; // an instance that is down serves nobody; the virtual IP is elsewhere
    }
  }));
  const answers = [...new Set(serving.filter((s): s is string => s !== undefined))];
  if (answers.length === 0) throw new Error('no endpoint instance answers');
  if (answers.length > 1) throw new Error(`the endpoint instances disagree: ${instances.map((i, n) => `${i.backendName} -> ${serving[n]}`).join(', ')}`);
  return answers[0];
}

async function probe(description: ClusterDescription, at: { host: string; port: number }, monitor: Login): Promise<string> {
  const [row] = await withConnection(at, monitor, (c) => queryRows<any>(c, 'SELECT @@server_id AS id'));
  const host = description.hosts.find((h) => h.serverId === Number(row.id));
  if (!host) throw new Error(`the endpoint reached server_id ${row.id}, which is not in the cluster`);
  return host.name;
}

/** Servers an endpoint instance's writer check has fenced after they were lost as the writer. */
export async function fencedServers(instance: EndpointInstance): Promise<string[]> {
  const result = await run('docker', ['exec', instance.backendName, 'sh', '-c', `ls ${ENDPOINT_STATE_DIR} 2>/dev/null | sed -n 's/\\.fenced$//p'`], { timeoutMs: 20_000 });
  if (result.code !== 0) throw new Error(`could not read the fences in ${instance.backendName}: ${result.stderr.trim()}`);
  return result.stdout.split('\n').filter(Boolean);
}

/** Lets a fenced server pass an instance's writer check again. */
async function unfence(instance: EndpointInstance, name: string): Promise<void> {
  const result = await run('docker', ['exec', instance.backendName, 'rm', '-f', `${ENDPOINT_STATE_DIR}/${name}.fenced`, `${ENDPOINT_STATE_DIR}/${name}.failures`], { timeoutMs: 20_000 });
  if (result.code !== 0) throw new Error(`could not lift the fence on ${name} in ${instance.backendName}: ${result.stderr.trim()}`);
}

/** Writes the endpoint's config inside an instance, so a restarted instance serves the target. */
async function persistEndpointConfig(endpoint: EndpointDescription, instance: EndpointInstance, config: string): Promise<void> {
  const tmp = `${endpoint.configPath}.new`;
  const result = await run('docker', ['exec', '-i', instance.backendName, 'sh', '-c', `cat > ${tmp} && mv ${tmp} ${endpoint.configPath}`], { timeoutMs: 20_000, input: config });
  if (result.code !== 0) throw new Error(`could not write ${endpoint.configPath} in ${instance.backendName}: ${result.stderr.trim()}`);
}

/**
 * Lifts a fence an instance set on `target` when it lost the writer role; then, with writable
 * standbys (every master writable), waits until the instance sees it pass its writer checks. With
 * one writer at a time the target is read-only until the move, which marks it up itself.
 */
async function admitTarget(description: ClusterDescription, instance: EndpointInstance, target: string, progress: (line: string) => void): Promise<void> {
  const endpoint = requireEndpoint(description);
  const runtime = runtimeOf(instance);
  const targetUp = async () => (await runtime.servers(endpoint.backend)).find((s) => s.name === target)?.status.startsWith('UP');
  // Only a target the instance sees down can be fenced; the check stays off the fast path.
  if (!(await targetUp()) && (await fencedServers(instance)).includes(target)) {
    progress(`      ${instance.backendName}: ${target} was fenced after losing the writer role; it has caught up, so it is re-admitted`);
    await unfence(instance, target);
  }
  if (oneWriter(description)) return;
  const upBy = Date.now() + 15_000;
  while (!(await targetUp())) {
    if (Date.now() > upBy) throw new Error(`${instance.backendName} does not see ${target} as a healthy writer`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Makes `target` writable (one writer at a time) and points every endpoint instance at it; the
 * fenced old master, `from`, is marked down at once rather than after `fall` checks.
 */
async function routeWritesTo(options: SwitchoverOptions, target: string, from?: string): Promise<void> {
  const { description, operator } = options;
  const endpoint = requireEndpoint(description);
  if (oneWriter(description)) await setReadOnly(endpointsOf(description).find((h) => h.name === target)!, operator, false, 5);
  await Promise.all(endpoint.instances.map(async (i) => {
    const runtime = runtimeOf(i);
    // Now, not after `rise`/`fall` checks: the next checks confirm both, the servers agree.
    if (oneWriter(description)) {
      await runtime.setHealth(endpoint.backend, target, 'up');
      if (from) await runtime.setHealth(endpoint.backend, from, 'down');
    }
    await runtime.pin(endpoint.backend, serverIdOf(description, target));
  }));
}

/** HAProxy's id for a host (the description lists hosts in plan order). */
function serverIdOf(description: ClusterDescription, name: string): number {
  return haproxyServerId(description.hosts.findIndex((h) => h.name === name));
}

class Steps {
  private readonly started = Date.now();
  private n = 0;
  constructor(private readonly total: number, private readonly progress: (line: string) => void) {}

  public async run<T>(label: string, work: () => Promise<T>): Promise<T> {
    this.n++;
    const t0 = Date.now();
    this.progress(`  [${this.n}/${this.total}] ${label} ...`);
    const value = await work();
    this.progress(`  [${this.n}/${this.total}] ${label}: ok (${((Date.now() - t0) / 1000).toFixed(2)} s)`);
    return value;
  }

  public get seconds(): number {
    return (Date.now() - this.started) / 1000;
  }
}

/** The single-writer move, as the result reports it. */
interface MoveWindow {
  /** Milliseconds new connections were held and no master took writes. */
  readonly heldMs: number;
}

/**
 * The instant writes move. The gate holds new connections; the old master is fenced (read_only),
 * its application sessions are closed, and its final position is read; the target applies it;
 * the endpoint is pinned to the target and the gate opens. At no moment do two masters take writes.
 */
async function moveWrites(options: SwitchoverOptions, current: string, progress: (line: string) => void): Promise<MoveWindow> {
  const { description, target, operator } = options;
  const endpoint = requireEndpoint(description);
  const runtimes = endpoint.instances.map(runtimeOf);
  const host = (name: string) => endpointsOf(description).find((h) => h.name === name)!;
  const closedAt = Date.now();
  let pinned = false;
  try {
    await Promise.all(runtimes.map((r) => r.closeGate()));
    // Sessions first, so the fence waits for no idle transaction; again after, for any that slipped in.
    await Promise.all(runtimes.map((r) => r.shutdownSessions(endpoint.backend, current)));
    await killApplicationSessions(host(current), operator);
    await setReadOnly(host(current), operator, true, options.catchUpTimeoutSeconds);
    await killApplicationSessions(host(current), operator);
    const position = await gtidBinlogPos(host(current), operator);
    if (!(await waitForGtid(host(target), operator, position, options.catchUpTimeoutSeconds))) {
      throw new Error(`${target} did not apply ${current}'s final position ${position} within ${options.catchUpTimeoutSeconds} s`);
    }
    await routeWritesTo(options, target, current);
    pinned = true;
    // Writes go to the target from here; a gate that does not open reopens by itself within its bound.
    await Promise.all(runtimes.map((r) => r.openGate().catch((e) => progress(`      a writer gate did not open (${e.message}); it opens by itself within ${GATE_MAX_HOLD_MS / 1000} s`))));
    const heldMs = Date.now() - closedAt;
    progress(`      write window: new connections held ${heldMs} ms; ${current} fenced at ${position || '(empty)'}, applied by ${target}`);
    return { heldMs };
  } finally {
    if (!pinned) {
      // Writes stay on the old master: lift its fence, keep the endpoint on it, release the held.
      if (oneWriter(description)) await setReadOnly(host(target), operator, true, 5).catch((e) => progress(`      could not fence ${target} again: ${e.message}`));
      await setReadOnly(host(current), operator, false, 5).catch((e) => progress(`      could not lift the fence on ${current}: ${e.message}`));
      await Promise.all(runtimes.map(async (r) => {
        if (oneWriter(description)) await r.setHealth(endpoint.backend, current, 'up').catch(() => undefined);
        await r.pin(endpoint.backend, serverIdOf(description, current)).catch(() => undefined);
      }));
      await Promise.all(runtimes.map((r) => r.openGate().catch(() => undefined)));
    }
  }
}

export async function switchover(options: SwitchoverOptions): Promise<SwitchoverResult> {
  const { description, target, progress } = options;
  const endpoint = requireEndpoint(description);
  const started = Date.now();
  let lock: MonitorLock | undefined;
  if (endpoint.monitorContainer) {
    try {
      lock = await takeMonitorLock(endpoint.monitorContainer, 'switchover', 15_000);
    } catch (error) {
      return { outcome: SwitchoverOutcome.REFUSED, message: `refused, nothing was changed: ${(error as Error).message}`, seconds: (Date.now() - started) / 1000 };
    }
  }
  let writer: string | undefined;
  try {
    const result = await switchoverHoldingLock(options);
    writer = [SwitchoverOutcome.DONE, SwitchoverOutcome.ALREADY_ACTIVE].includes(result.outcome) ? target : undefined;
    return result;
  } finally {
    // The monitor learns the writer from us: it must not take a fenced old master for a lost one.
    await lock?.release(writer).catch((e) => progress(`      could not release the monitor's lock (${e.message}); it expires by itself`));
  }
}

/** Where writes go now: the one writable master (one writer at a time), or where the endpoint routes. */
async function currentWriter(options: SwitchoverOptions, status: HostStatus[]): Promise<{ current?: string; problems: string[] }> {
  const { description, target } = options;
  if (!oneWriter(description)) return { current: await endpointServing(description, options.monitor), problems: [] };
  const writable = writableMasters(description, status);
  if (writable.length > 1) return { problems: [`${writable.join(' and ')} are all writable; the failover monitor fences all but the writer (see 'docker logs ${description.endpoint!.monitorContainer}')`] };
  if (writable.length === 1) return { current: writable[0], problems: [] };
  return { problems: establishProblems(description, status, target) };
}

async function switchoverHoldingLock(options: SwitchoverOptions): Promise<SwitchoverResult> {
  const { description, target, monitor, progress } = options;
  const endpoint = requireEndpoint(description);
  const oldStaysFenced = oneWriter(description);
  const steps = new Steps(oldStaysFenced ? 6 : 7, progress);
  const persist = async () => {
    if (options.persistConfig) for (const i of endpoint.instances) await persistEndpointConfig(endpoint, i, options.persistConfig);
  };
  const result = (outcome: SwitchoverOutcome, message: string, from?: string, windowMs?: number): SwitchoverResult => ({ outcome, message, from, seconds: steps.seconds, windowMs });
  const refused = (problems: string[], from?: string) =>
    result(SwitchoverOutcome.REFUSED, `refused, nothing was changed:\n${problems.map((p) => `  - ${p}`).join('\n')}\nFix the above (see 'mariadb-ha status'), then run the switchover again.`, from);
  const problemsOf = (error: unknown) => (error instanceof RefusedError ? error.problems : [(error as Error).message]);

  progress(`switchover of ${description.cluster}: writes to ${target}`);
  let current: string | undefined;
  try {
    current = await steps.run('preflight: replication health, lag and errant transactions', async () => {
      const deadline = Date.now() + options.waitHealthySeconds * 1000;
      for (;;) {
        const status = await readClusterStatus(endpointsOf(description), monitor);
        const writer = await currentWriter(options, status);
        const problems = [...writer.problems, ...preflightProblems(description, status, writer.current ?? target, target, options.maxLagSeconds)];
        if (problems.length === 0) return writer.current;
        if (Date.now() >= deadline) throw new RefusedError(problems);
        await new Promise((r) => setTimeout(r, 500));
      }
    });
  } catch (error) {
    return refused(problemsOf(error));
  }

  if (current === undefined) {
    // A new cluster (or every master restarted): no master takes writes; the target holds everything.
    try {
      await steps.run(`establish: ${target} becomes the writer (no master was writable)`, async () => {
        for (const instance of endpoint.instances) await admitTarget(description, instance, target, progress);
        await routeWritesTo(options, target);
      });
      await persist();
    } catch (error) {
      return result(SwitchoverOutcome.FAILED, `could not make ${target} the writer: ${(error as Error).message}. Run 'mariadb-ha status', then retry.`);
    }
    return result(SwitchoverOutcome.DONE, `${target} is the writer; no master took writes before`);
  }
  if (current === target) {
    await persist();
    return result(SwitchoverOutcome.ALREADY_ACTIVE, `${target} already takes the writes; replication is healthy`, current);
  }

  const from = current;
  const host = (name: string) => endpointsOf(description).find((h) => h.name === name)!;
  try {
    // While writes still flow: the target gets close, so the write window only covers the last few.
    await steps.run(`catch-up: ${target} applies what ${from} has committed so far`, async () => {
      const position = await gtidBinlogPos(host(from), options.operator);
      if (!(await waitForGtid(host(target), options.operator, position, options.catchUpTimeoutSeconds))) {
        throw new RefusedError([`${target} did not reach ${from}'s position ${position} within ${options.catchUpTimeoutSeconds} s`]);
      }
    });
    await steps.run(`admit: every endpoint instance may route to ${target}`, async () => {
      for (const instance of endpoint.instances) await admitTarget(description, instance, target, progress);
    });
  } catch (error) {
    return refused(problemsOf(error), from);
  }

  let window: MoveWindow;
  try {
    window = await steps.run(`move: hold new connections, fence ${from}, ${target} applies its last writes and takes the writes`, () => moveWrites(options, from, progress));
  } catch (error) {
    return result(SwitchoverOutcome.FAILED, `writes stay on ${from}: ${(error as Error).message}. Its fence was lifted and the endpoint still sends writes to it; clients connected to it were disconnected once. Check 'mariadb-ha status', then retry.`, from);
  }

  try {
    if (!oldStaysFenced) {
      // Every master writable: the endpoint alone keeps writes off the old master from here.
      await steps.run(`return ${from} to standby`, () => setReadOnly(host(from), options.operator, false, 5));
    }
    await steps.run('persist the endpoint config for restarts', persist);
    await steps.run('verify: endpoint, replication', async () => {
      const serving = await endpointServing(description, monitor);
      if (serving !== target) throw new Error(`the endpoint serves ${serving}, not ${target}`);
      const status = await readClusterStatus(endpointsOf(description), monitor);
      const broken = status.flatMap((s) => s.channels.filter((c) => !channelHealthy(c)).map((c) => `${c.connectionName} -> ${s.name}`));
      if (broken.length > 0) throw new Error(`replication broke during the switchover: ${broken.join(', ')}`);
    });
    const standby = oldStaysFenced ? `${from} stays read-only as the standby` : `sessions on ${from} were closed once`;
    return result(SwitchoverOutcome.DONE, `writes now go to ${target}; new connections waited ${window.heldMs} ms while no master took writes; ${standby}`, from, window.heldMs);
  } catch (error) {
    return result(SwitchoverOutcome.FAILED, `writes go to ${target}, but: ${(error as Error).message}. Run 'mariadb-ha status' and fix it before the next switchover.`, from, window.heldMs);
  }
}

class RefusedError extends Error {
  constructor(public readonly problems: string[]) {
    super(problems.join('; '));
  }
}
