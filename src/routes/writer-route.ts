// How a switchover steers a writer endpoint, one implementation per endpoint kind: HAProxy is
// steered at run time through its admin socket; a Route 53 record pair is moved by the same
// `terraform apply` that runs the switchover, after the database steps, so the tool only
// checks that it is the kind it knows.
import type { ClusterDescription } from '../constructs/replication-cluster';
import { EndpointInstance, EndpointKind, HaproxyEndpointDetails } from '../constructs/endpoint';
import { ENDPOINT_STATE_DIR, GATE_MAX_HOLD_MS, haproxyServerId } from '../render/haproxy-config';
import { oneWriter } from '../operator/analysis';
import { HaproxyRuntime, ServerState } from './haproxy-runtime';
import { Login, queryRows, withConnection } from '../operator/sql-client';
import { run } from '../operator/process';

/** What a switchover asks of the endpoint; the database steps (fence, catch-up, verify) are the tool's own. */
export interface WriterRoute {
  /** How the move reaches clients, for the tool's report. */
  readonly moveNote: string;
  /** Container of the failover monitor whose lock the switchover holds, if there is one. */
  readonly monitorContainer?: string;
  /** Holds new connections while no master takes writes (a no-op where the endpoint cannot). */
  hold(): Promise<void>;
  /** Lets held connections through; must not fail the switchover. */
  release(progress: (line: string) => void): Promise<void>;
  /** Closes the endpoint's client sessions to `host`. */
  closeSessions(host: string): Promise<void>;
  /** Lets the endpoint route to `target` again after it fenced it on its own. */
  admit(target: string, progress: (line: string) => void): Promise<void>;
  /** Sends new connections to `target`; `from`, fenced, is taken out at once. */
  routeTo(target: string, from?: string): Promise<void>;
  /** The master the endpoint sends new connections to, or undefined when only the database can tell. */
  serving(monitor: Login): Promise<string | undefined>;
  /** Makes the move outlast an endpoint restart (`config` names the target as active). */
  persist(config?: string): Promise<void>;
}

export function writerRouteOf(description: ClusterDescription): WriterRoute {
  const endpoint = description.endpoint;
  if (!endpoint) throw new Error(`cluster ${description.cluster} has no writer endpoint to switch`);
  if (endpoint.kind === EndpointKind.HAPROXY && endpoint.haproxy) return new HaproxyRoute(description, endpoint.haproxy);
  if (endpoint.kind === EndpointKind.ROUTE53_FAILOVER && endpoint.route53) return new RecordRoute(endpoint.route53.recordName);
  throw new Error(`cluster ${description.cluster} has a writer endpoint of kind '${endpoint.kind}', which this tool cannot steer`);
}

/** Route 53 failover records: Terraform moves PRIMARY to the target after this step; clients follow within the TTL. */
class RecordRoute implements WriterRoute {
  public readonly moveNote: string;
  constructor(recordName: string) {
    this.moveNote = `${recordName} moves to the new writer in this apply, after this step; until clients resolve it they reach a read-only server`;
  }
  public async hold(): Promise<void> {}
  public async release(): Promise<void> {}
  public async closeSessions(): Promise<void> {}
  public async admit(): Promise<void> {}
  public async routeTo(): Promise<void> {}
  public async serving(): Promise<string | undefined> {
    return undefined;
  }
  public async persist(): Promise<void> {}
}

/** HAProxy instances: a gate holds new connections, a stick entry pins the writer. */
class HaproxyRoute implements WriterRoute {
  public readonly moveNote = 'the endpoint pins the new writer';
  public readonly monitorContainer?: string;
  private readonly runtimes: HaproxyRuntime[];
  constructor(private readonly description: ClusterDescription, private readonly endpoint: HaproxyEndpointDetails) {
    this.monitorContainer = endpoint.monitorContainer;
    this.runtimes = endpoint.instances.map((i) => HaproxyRuntime.of(i.backendName));
  }

  public async hold(): Promise<void> {
    await Promise.all(this.runtimes.map((r) => r.closeGate()));
  }

  public async release(progress: (line: string) => void): Promise<void> {
    await Promise.all(this.runtimes.map((r) => r.openGate().catch((e) => progress(`      a writer gate did not open (${e.message}); it opens by itself within ${GATE_MAX_HOLD_MS / 1000} s`))));
  }

  public async closeSessions(host: string): Promise<void> {
    await Promise.all(this.runtimes.map((r) => r.shutdownSessions(this.endpoint.backend, host)));
  }

  public async admit(target: string, progress: (line: string) => void): Promise<void> {
    for (const instance of this.endpoint.instances) await admitTarget(this.description, this.endpoint, instance, target, progress);
  }

  public async routeTo(target: string, from?: string): Promise<void> {
    const one = oneWriter(this.description);
    await Promise.all(this.runtimes.map(async (runtime) => {
      // Now, not after `rise`/`fall` checks: the next checks confirm both, the servers agree.
      if (one) {
        await runtime.setHealth(this.endpoint.backend, target, 'up');
        if (from) await runtime.setHealth(this.endpoint.backend, from, 'down');
      }
      await runtime.pin(this.endpoint.backend, serverIdOf(this.description, target));
    }));
  }

  public serving(monitor: Login): Promise<string> {
    return endpointServing(this.description, monitor);
  }

  public async persist(config?: string): Promise<void> {
    if (config) for (const i of this.endpoint.instances) await persistEndpointConfig(this.endpoint, i, config);
  }
}

function haproxyOf(description: ClusterDescription): HaproxyEndpointDetails {
  const details = description.endpoint?.haproxy;
  if (!details) throw new Error(`cluster ${description.cluster} has no HAProxy writer endpoint`);
  return details;
}

/** An instance's servers, and the master its stick entry pins if that master is up. */
export async function pinnedWriter(description: ClusterDescription, instance: EndpointInstance): Promise<{ pinned?: string; servers: ServerState[] }> {
  const endpoint = haproxyOf(description);
  const runtime = HaproxyRuntime.of(instance.backendName);
  const stuck = await runtime.stuckServerId(endpoint.backend);
  const servers = await runtime.servers(endpoint.backend);
  const name = stuck === undefined ? undefined : description.hosts.find((_, i) => haproxyServerId(i) === stuck)?.name;
  // A pinned server that is down no longer takes connections.
  return { pinned: servers.find((s) => s.name === name)?.status.startsWith('UP') ? name : undefined, servers };
}

/** The master one endpoint instance sends new connections to: its stick entry, or where a probe lands. */
async function instanceServing(description: ClusterDescription, instance: EndpointInstance, monitor: Login): Promise<string> {
  const { pinned } = await pinnedWriter(description, instance);
  return pinned ?? probe(description, { host: instance.clientAddress, port: instance.clientPort }, monitor);
}

/** The master an HAProxy endpoint sends new connections to; every instance must agree. */
export async function endpointServing(description: ClusterDescription, monitor: Login): Promise<string> {
  const instances = haproxyOf(description).instances;
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
async function persistEndpointConfig(endpoint: HaproxyEndpointDetails, instance: EndpointInstance, config: string): Promise<void> {
  const tmp = `${endpoint.configPath}.new`;
  const result = await run('docker', ['exec', '-i', instance.backendName, 'sh', '-c', `cat > ${tmp} && mv ${tmp} ${endpoint.configPath}`], { timeoutMs: 20_000, input: config });
  if (result.code !== 0) throw new Error(`could not write ${endpoint.configPath} in ${instance.backendName}: ${result.stderr.trim()}`);
}

/**
 * Lifts a fence an instance set on `target` when it lost the writer role; then, with writable
 * standbys (every master writable), waits until the instance sees it pass its writer checks. With
 * one writer at a time the target is read-only until the move, which marks it up itself.
 */
async function admitTarget(description: ClusterDescription, endpoint: HaproxyEndpointDetails, instance: EndpointInstance, target: string, progress: (line: string) => void): Promise<void> {
  const runtime = HaproxyRuntime.of(instance.backendName);
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

/** HAProxy's id for a host (the description lists hosts in plan order). */
function serverIdOf(description: ClusterDescription, name: string): number {
  return haproxyServerId(description.hosts.findIndex((h) => h.name === name));
}
