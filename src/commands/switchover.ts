// Planned switchover, one writer at a time: check health, let the target catch up, then in one
// short window hold new connections, fence the old master, let the target apply its last writes,
// make it writable and pin it; then verify. No acknowledged write or update is lost. With a
// failover monitor (one writer at a time), the switchover holds the monitor's lock throughout, so
// exactly one actor moves the writer, and the same run makes the first writer of a new cluster.
import type { ClusterDescription } from '../constructs/description';
import { errantTransactions, oneWriter, writableMasters } from '../operator/analysis';
import { Login } from '../operator/sql-client';
import { gtidBinlogPos, killApplicationSessions, setReadOnly, waitForGtid } from '../operator/server-ops';
import { channelHealthy, HostStatus, readClusterStatus } from '../operator/replication-status';
import { hasReached, withoutDomain } from '../operator/gtid';
import { MonitorLock, MonitorState } from '../operator/monitor-state';
import { endpointsOf, hostAccessOf } from '../operator/cluster-ref';
import { WriterRoute, writerRouteOf } from '../routes/writer-route';

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

/**
 * Makes `target` writable (one writer at a time) and points the endpoint at it; the fenced old
 * master, `from`, is taken out at once rather than after failed checks.
 */
async function routeWritesTo(options: SwitchoverOptions, route: WriterRoute, target: string, from?: string): Promise<void> {
  const { description, operator } = options;
  if (oneWriter(description)) await setReadOnly(endpointsOf(description).find((h) => h.name === target)!, operator, false, 5);
  await route.routeTo(target, from);
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
 * What the target must apply of a master's position: not its own domain, whose transactions it
 * committed itself (or restored with its copy), and where its replica position is refreshed only
 * now and then, so MASTER_GTID_WAIT could wait on it long after it holds everything.
 */
function toApply(description: ClusterDescription, target: string, position: string): string {
  return withoutDomain(position, description.hosts.find((h) => h.name === target)!.gtidDomainId);
}

/**
 * The instant writes move. The gate holds new connections; the old master is fenced (read_only),
 * its application sessions are closed, and its final position is read; the target applies it;
 * the endpoint is pinned to the target and the gate opens. At no moment do two masters take writes.
 */
async function moveWrites(options: SwitchoverOptions, route: WriterRoute, current: string, progress: (line: string) => void): Promise<MoveWindow> {
  const { description, target, operator } = options;
  const host = (name: string) => endpointsOf(description).find((h) => h.name === name)!;
  const closedAt = Date.now();
  let pinned = false;
  try {
    await route.hold();
    // Sessions first, so the fence waits for no idle transaction; again after, for any that slipped in.
    await route.closeSessions(current);
    await killApplicationSessions(host(current), operator);
    await setReadOnly(host(current), operator, true, options.catchUpTimeoutSeconds);
    await killApplicationSessions(host(current), operator);
    const position = await gtidBinlogPos(host(current), operator);
    if (!(await waitForGtid(host(target), operator, toApply(description, target, position), options.catchUpTimeoutSeconds))) {
      throw new Error(`${target} did not apply ${current}'s final position ${position} within ${options.catchUpTimeoutSeconds} s`);
    }
    await routeWritesTo(options, route, target, current);
    pinned = true;
    // Writes go to the target from here; a gate that does not open reopens by itself within its bound.
    await route.release(progress);
    const heldMs = Date.now() - closedAt;
    progress(`      write window: new connections held ${heldMs} ms; ${current} fenced at ${position || '(empty)'}, applied by ${target}; ${route.moveNote}`);
    return { heldMs };
  } finally {
    if (!pinned) {
      // Writes stay on the old master: lift its fence, keep the endpoint on it, release the held.
      if (oneWriter(description)) await setReadOnly(host(target), operator, true, 5).catch((e) => progress(`      could not fence ${target} again: ${e.message}`));
      await setReadOnly(host(current), operator, false, 5).catch((e) => progress(`      could not lift the fence on ${current}: ${e.message}`));
      await route.routeTo(current).catch(() => undefined);
      await route.release(() => undefined);
    }
  }
}

export async function switchover(options: SwitchoverOptions): Promise<SwitchoverResult> {
  const { description, target, progress } = options;
  const route = writerRouteOf(description);
  const started = Date.now();
  let lock: MonitorLock | undefined;
  if (route.monitorContainer) {
    try {
      lock = await new MonitorState(hostAccessOf(description), route.monitorContainer).lock('switchover', 15_000);
    } catch (error) {
      return { outcome: SwitchoverOutcome.REFUSED, message: `refused, nothing was changed: ${(error as Error).message}`, seconds: (Date.now() - started) / 1000 };
    }
  }
  let writer: string | undefined;
  try {
    const result = await switchoverHoldingLock(options, route);
    writer = [SwitchoverOutcome.DONE, SwitchoverOutcome.ALREADY_ACTIVE].includes(result.outcome) ? target : undefined;
    return result;
  } finally {
    // The monitor learns the writer from us: it must not take a fenced old master for a lost one.
    await lock?.release(writer).catch((e) => progress(`      could not release the monitor's lock (${e.message}); it expires by itself`));
  }
}

/** Where writes go now: the one writable master (one writer at a time), or where the endpoint routes. */
async function currentWriter(options: SwitchoverOptions, route: WriterRoute, status: HostStatus[]): Promise<{ current?: string; problems: string[] }> {
  const { description, target } = options;
  // Every master writable and an endpoint that cannot tell (a DNS record): only the route moves.
  if (!oneWriter(description)) return { current: (await route.serving(options.monitor)) ?? target, problems: [] };
  const writable = writableMasters(description, status);
  const fencer = route.monitorContainer ? `the failover monitor fences all but the writer (see 'docker logs ${route.monitorContainer}')` : `set read_only = ON on all but the writer before a switchover`;
  if (writable.length > 1) return { problems: [`${writable.join(' and ')} are all writable; ${fencer}`] };
  if (writable.length === 1) return { current: writable[0], problems: [] };
  return { problems: establishProblems(description, status, target) };
}

async function switchoverHoldingLock(options: SwitchoverOptions, route: WriterRoute): Promise<SwitchoverResult> {
  const { description, target, monitor, progress } = options;
  const oldStaysFenced = oneWriter(description);
  const steps = new Steps(oldStaysFenced ? 6 : 7, progress);
  const persist = () => route.persist(options.persistConfig);
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
        const writer = await currentWriter(options, route, status);
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
        await route.admit(target, progress);
        await routeWritesTo(options, route, target);
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
      if (!(await waitForGtid(host(target), options.operator, toApply(description, target, position), options.catchUpTimeoutSeconds))) {
        throw new RefusedError([`${target} did not reach ${from}'s position ${position} within ${options.catchUpTimeoutSeconds} s`]);
      }
    });
    await steps.run(`admit: every endpoint instance may route to ${target}`, async () => {
      await route.admit(target, progress);
    });
  } catch (error) {
    return refused(problemsOf(error), from);
  }

  let window: MoveWindow;
  try {
    window = await steps.run(`move: hold new connections, fence ${from}, ${target} applies its last writes and takes the writes`, () => moveWrites(options, route, from, progress));
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
      const serving = await route.serving(monitor);
      if (serving !== undefined && serving !== target) throw new Error(`the endpoint serves ${serving}, not ${target}`);
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
