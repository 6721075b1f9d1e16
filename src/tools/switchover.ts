// Planned switchover with no read-only window: check health, let the target catch up, move new
// connections to it while established ones finish on the old master (both stay writable, and
// their auto-increment offsets keep keys apart), then verify.
import type { ClusterDescription, EndpointDescription, EndpointInstance } from '../constructs/replication-cluster';
import { errantTransactions } from './analysis';
import { HaproxyRuntime, ServerState } from './haproxy-runtime';
import { Login, queryRows, withConnection } from './mariadb-client';
import { run } from './process';
import { channelHealthy, HostStatus, readClusterStatus } from './replication-status';
import { endpointsOf } from './cluster-ref';
import { ENDPOINT_STATE_DIR } from '../render/haproxy-config';

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
  return new HaproxyRuntime({ host: instance.runtimeAddress, port: instance.runtimePort });
}

/** An instance's servers, and the master its stick entry pins if that master is up. */
export async function pinnedWriter(description: ClusterDescription, instance: EndpointInstance): Promise<{ pinned?: string; servers: ServerState[] }> {
  const endpoint = requireEndpoint(description);
  const runtime = runtimeOf(instance);
  const stuck = await runtime.stuckServerId(endpoint.backend);
  const servers = await runtime.servers(endpoint.backend);
  const name = stuck === undefined ? undefined : description.hosts[stuck - 1]?.name;
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

async function gtidBinlogPos(description: ClusterDescription, name: string, monitor: Login): Promise<string> {
  const host = endpointsOf(description).find((h) => h.name === name)!;
  const [row] = await withConnection(host, monitor, (c) => queryRows<any>(c, 'SELECT @@gtid_binlog_pos AS pos'));
  return row.pos;
}

async function waitForGtid(description: ClusterDescription, name: string, position: string, timeoutSeconds: number, monitor: Login): Promise<boolean> {
  const host = endpointsOf(description).find((h) => h.name === name)!;
  const [row] = await withConnection(host, monitor, (c) => queryRows<any>(c, 'SELECT MASTER_GTID_WAIT(?, ?) AS waited', [position, timeoutSeconds]));
  return Number(row.waited) === 0;
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
 * Moves one instance's new connections to `target`: lift a fence, wait until it passes its checks,
 * drain the others, clear the stick entry, pin the target with a probe, return the others to service.
 */
async function moveInstance(description: ClusterDescription, instance: EndpointInstance, target: string, monitor: Login, progress: (line: string) => void): Promise<void> {
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
  const others = (await runtime.servers(endpoint.backend)).filter((s) => s.name !== target);
  try {
    for (const o of others) await runtime.set(`set server ${endpoint.backend}/${o.name} state drain`);
    await runtime.set(`clear table ${endpoint.backend}`);
    const deadline = Date.now() + 5000;
    // The first connection after the table is cleared pins the new writer; make it ours.
    while ((await probe(description, { host: instance.clientAddress, port: instance.clientPort }, monitor)) !== target) {
      if (Date.now() > deadline) throw new Error(`new connections to ${instance.backendName} did not reach ${target} within 5 s`);
      await runtime.set(`clear table ${endpoint.backend}`);
    }
  } finally {
    for (const o of others) await runtime.set(`set server ${endpoint.backend}/${o.name} state ready`).catch(() => undefined);
  }
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

export async function switchover(options: SwitchoverOptions): Promise<SwitchoverResult> {
  const { description, target, monitor, progress } = options;
  const endpoint = requireEndpoint(description);
  const steps = new Steps(5, progress);
  const persist = async () => {
    if (options.persistConfig) for (const i of endpoint.instances) await persistEndpointConfig(endpoint, i, options.persistConfig);
  };
  const result = (outcome: SwitchoverOutcome, message: string, from?: string): SwitchoverResult => ({ outcome, message, from, seconds: steps.seconds });

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
    if (error instanceof RefusedError) {
      return result(SwitchoverOutcome.REFUSED, `refused, nothing was changed:\n${error.problems.map((p) => `  - ${p}`).join('\n')}\nFix the above (see 'mariadb-ha status'), then run the switchover again.`);
    }
    return result(SwitchoverOutcome.REFUSED, `refused, nothing was changed: ${(error as Error).message}`);
  }

  if (current === target) {
    await persist();
    return result(SwitchoverOutcome.ALREADY_ACTIVE, `the endpoint already sends writes to ${target}; replication is healthy`, current);
  }

  try {
    await steps.run(`catch-up: ${target} applies everything ${current} has committed`, async () => {
      const position = await gtidBinlogPos(description, current, monitor);
      if (!(await waitForGtid(description, target, position, options.catchUpTimeoutSeconds, monitor))) {
        throw new RefusedError([`${target} did not reach ${current}'s position ${position} within ${options.catchUpTimeoutSeconds} s`]);
      }
    });
  } catch (error) {
    const problems = error instanceof RefusedError ? error.problems : [(error as Error).message];
    return result(SwitchoverOutcome.REFUSED, `refused, nothing was changed:\n${problems.map((p) => `  - ${p}`).join('\n')}`, current);
  }

  try {
    await steps.run(`move the endpoint: new connections to ${target}, open ones finish on ${current}`, async () => {
      for (const instance of endpoint.instances) await moveInstance(description, instance, target, monitor, progress);
    });
  } catch (error) {
    return result(SwitchoverOutcome.FAILED, `the endpoint could not be moved (${(error as Error).message}); its servers are back in service and writes continue on whichever master it pins. Check 'mariadb-ha status', then retry.`, current);
  }

  try {
    await steps.run('persist the endpoint config for restarts', persist);
    const lingering = await steps.run('verify: endpoint, replication', async () => {
      const serving = await endpointServing(description, monitor);
      if (serving !== target) throw new Error(`the endpoint serves ${serving}, not ${target}`);
      const status = await readClusterStatus(endpointsOf(description), monitor);
      const broken = status.flatMap((s) => s.channels.filter((c) => !channelHealthy(c)).map((c) => `${c.connectionName} -> ${s.name}`));
      if (broken.length > 0) throw new Error(`replication broke during the switchover: ${broken.join(', ')}`);
      const sessions = await Promise.all(endpoint.instances.map(async (i) => (await runtimeOf(i).servers(endpoint.backend)).find((s) => s.name === current)?.currentSessions ?? 0));
      return sessions.reduce((a, b) => a + b, 0);
    });
    return result(SwitchoverOutcome.DONE, `writes now go to ${target}; ${lingering} connection(s) opened before the switchover finish on ${current}, which stays writable and conflict-free`, current);
  } catch (error) {
    return result(SwitchoverOutcome.FAILED, `the endpoint moved to ${target}, but: ${(error as Error).message}. Run 'mariadb-ha status' and fix replication before the next switchover.`, current);
  }
}

class RefusedError extends Error {
  constructor(public readonly problems: string[]) {
    super(problems.join('; '));
  }
}
