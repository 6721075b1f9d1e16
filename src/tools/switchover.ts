// Planned switchover, one writer at a time: check health, let the target catch up, then in one
// short window hold new connections, fence the old master, let the target apply its last writes,
// and pin the target; then verify. No acknowledged write or update is lost.
import type { ClusterDescription, EndpointDescription, EndpointInstance } from '../constructs/replication-cluster';
import { errantTransactions } from './analysis';
import { HaproxyRuntime, ServerState } from './haproxy-runtime';
import { Login, queryRows, withConnection } from './mariadb-client';
import { gtidBinlogPos, killApplicationSessions, setReadOnly, waitForGtid } from './server-ops';
import { run } from './process';
import { channelHealthy, HostStatus, readClusterStatus } from './replication-status';
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

/** Waits until an instance sees `target` pass its writer checks, lifting a fence it set on it. */
async function admitTarget(description: ClusterDescription, instance: EndpointInstance, target: string, progress: (line: string) => void): Promise<void> {
  const endpoint = requireEndpoint(description);
  const runtime = runtimeOf(instance);
  const targetUp = async () => (await runtime.servers(endpoint.backend)).find((s) => s.name === target)?.status.startsWith('UP');
  // Only a target the instance sees down can be fenced; the check stays off the fast path.
  if (!(await targetUp()) && (await fencedServers(instance)).includes(target)) {
    progress(`      ${instance.backendName}: ${target} was fenced after losing the writer role; it has caught up, so it is re-admitted`);
    await unfence(instance, target);
  }
  const upBy = Date.now() + 15_000;
  while (!(await targetUp())) {
    if (Date.now() > upBy) throw new Error(`${instance.backendName} does not see ${target} as a healthy writer`);
    await new Promise((r) => setTimeout(r, 100));
  }
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
    await Promise.all(runtimes.map((r) => r.pin(endpoint.backend, serverIdOf(description, target))));
    pinned = true;
    // Writes go to the target from here; a gate that does not open reopens by itself within its bound.
    await Promise.all(runtimes.map((r) => r.openGate().catch((e) => progress(`      a writer gate did not open (${e.message}); it opens by itself within ${GATE_MAX_HOLD_MS / 1000} s`))));
    const heldMs = Date.now() - closedAt;
    progress(`      write window: new connections held ${heldMs} ms; ${current} fenced at ${position || '(empty)'}, applied by ${target}`);
    return { heldMs };
  } finally {
    if (!pinned) {
      // Writes stay on the old master: lift its fence, keep the endpoint on it, release the held.
      await setReadOnly(host(current), operator, false, 5).catch((e) => progress(`      could not lift the fence on ${current}: ${e.message}`));
      await Promise.all(runtimes.map((r) => r.pin(endpoint.backend, serverIdOf(description, current)).catch(() => undefined)));
      await Promise.all(runtimes.map((r) => r.openGate().catch(() => undefined)));
    }
  }
}

export async function switchover(options: SwitchoverOptions): Promise<SwitchoverResult> {
  const { description, target, monitor, progress } = options;
  const endpoint = requireEndpoint(description);
  const steps = new Steps(7, progress);
  const persist = async () => {
    if (options.persistConfig) for (const i of endpoint.instances) await persistEndpointConfig(endpoint, i, options.persistConfig);
  };
  const result = (outcome: SwitchoverOutcome, message: string, from?: string, windowMs?: number): SwitchoverResult => ({ outcome, message, from, seconds: steps.seconds, windowMs });
  const refused = (problems: string[], from?: string) =>
    result(SwitchoverOutcome.REFUSED, `refused, nothing was changed:\n${problems.map((p) => `  - ${p}`).join('\n')}\nFix the above (see 'mariadb-ha status'), then run the switchover again.`, from);
  const problemsOf = (error: unknown) => (error instanceof RefusedError ? error.problems : [(error as Error).message]);

  progress(`switchover of ${description.cluster}: writes to ${target}`);
  let current = '';
  try {
    current = await steps.run('preflight: replication health, lag and errant transactions', async () => {
      const deadline = Date.now() + options.waitHealthySeconds * 1000;
      for (;;) {
        const serving = await endpointServing(description, monitor);
        const status = await readClusterStatus(endpointsOf(description), monitor);
        const problems = preflightProblems(description, status, serving, target, options.maxLagSeconds);
        if (problems.length === 0) return serving;
        if (Date.now() >= deadline) throw new RefusedError(problems);
        await new Promise((r) => setTimeout(r, 500));
      }
    });
  } catch (error) {
    return refused(problemsOf(error));
  }

  if (current === target) {
    await persist();
    return result(SwitchoverOutcome.ALREADY_ACTIVE, `the endpoint already sends writes to ${target}; replication is healthy`, current);
  }

  const host = (name: string) => endpointsOf(description).find((h) => h.name === name)!;
  try {
    // While writes still flow: the target gets close, so the write window only covers the last few.
    await steps.run(`catch-up: ${target} applies what ${current} has committed so far`, async () => {
      const position = await gtidBinlogPos(host(current), options.operator);
      if (!(await waitForGtid(host(target), options.operator, position, options.catchUpTimeoutSeconds))) {
        throw new RefusedError([`${target} did not reach ${current}'s position ${position} within ${options.catchUpTimeoutSeconds} s`]);
      }
    });
    await steps.run(`admit: every endpoint instance sees ${target} as a healthy writer`, async () => {
      for (const instance of endpoint.instances) await admitTarget(description, instance, target, progress);
    });
  } catch (error) {
    return refused(problemsOf(error), current);
  }

  let window: MoveWindow;
  try {
    window = await steps.run(`move: hold new connections, fence ${current}, ${target} applies its last writes, pin ${target}`, () => moveWrites(options, current, progress));
  } catch (error) {
    return result(SwitchoverOutcome.FAILED, `writes stay on ${current}: ${(error as Error).message}. Its fence was lifted and the endpoint still sends writes to it; clients connected to it were disconnected once. Check 'mariadb-ha status', then retry.`, current);
  }

  try {
    // Until a monitor owns failover, a standby stays writable so the endpoint can fail over to it;
    // the endpoint sends it no writes, and its sessions were closed while it was fenced.
    await steps.run(`return ${current} to standby`, () => setReadOnly(host(current), options.operator, false, 5));
    await steps.run('persist the endpoint config for restarts', persist);
    await steps.run('verify: endpoint, replication', async () => {
      const serving = await endpointServing(description, monitor);
      if (serving !== target) throw new Error(`the endpoint serves ${serving}, not ${target}`);
      const status = await readClusterStatus(endpointsOf(description), monitor);
      const broken = status.flatMap((s) => s.channels.filter((c) => !channelHealthy(c)).map((c) => `${c.connectionName} -> ${s.name}`));
      if (broken.length > 0) throw new Error(`replication broke during the switchover: ${broken.join(', ')}`);
    });
    return result(SwitchoverOutcome.DONE, `writes now go to ${target}; new connections waited ${window.heldMs} ms while no master took writes; sessions on ${current} were closed once`, current, window.heldMs);
  } catch (error) {
    return result(SwitchoverOutcome.FAILED, `writes go to ${target}, but: ${(error as Error).message}. Run 'mariadb-ha status' and fix it before the next switchover.`, current, window.heldMs);
  }
}

class RefusedError extends Error {
  constructor(public readonly problems: string[]) {
    super(problems.join('; '));
  }
}
