// The HAProxy writer endpoint's route: a gate holds new connections, a stick entry pins the
// writer, and the writer check's fences live in each instance's state directory.
import type { ClusterDescription } from '../constructs/description';
import { EndpointInstance, HaproxyEndpointDetails } from '../constructs/endpoint';
import { execChecked } from '../backends/host-access';
import { ENDPOINT_STATE_DIR, GATE_MAX_HOLD_MS, haproxyServerId } from '../render/haproxy-config';
import { hostAccessOf } from '../operator/cluster-ref';
import { oneWriter } from '../operator/analysis';
import { Login, queryRows, withConnection } from '../operator/sql-client';
import { HaproxyRuntime, RuntimeConnector, ServerState, socatIn } from './haproxy-runtime';
import type { WriterRoute } from './writer-route';

/** How a tool reaches an instance's runtime API: a session in its container, through the host access. */
function toolConnector(description: ClusterDescription): (instance: EndpointInstance) => RuntimeConnector {
  return (instance) => socatIn(hostAccessOf(description), instance.backendName);
}

function runtimeOf(description: ClusterDescription, instance: EndpointInstance, connectorFor = toolConnector(description)): HaproxyRuntime {
  return HaproxyRuntime.of(instance.backendName, connectorFor(instance));
}

/** HAProxy instances: a gate holds new connections, a stick entry pins the writer. */
export class HaproxyRoute implements WriterRoute {
  public readonly moveNote = 'the endpoint pins the new writer';
  public readonly monitorContainer?: string;
  private readonly runtimes: HaproxyRuntime[];
  constructor(private readonly description: ClusterDescription, private readonly endpoint: HaproxyEndpointDetails, connectorFor?: (instance: EndpointInstance) => RuntimeConnector) {
    this.monitorContainer = endpoint.monitorContainer;
    this.runtimes = endpoint.instances.map((i) => runtimeOf(description, i, connectorFor));
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
    if (config) for (const i of this.endpoint.instances) await persistEndpointConfig(this.description, this.endpoint, i, config);
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
  const runtime = runtimeOf(description, instance);
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
export async function fencedServers(description: ClusterDescription, instance: EndpointInstance): Promise<string[]> {
  const result = await execChecked(hostAccessOf(description), instance.backendName, ['sh', '-c', `ls ${ENDPOINT_STATE_DIR} 2>/dev/null | sed -n 's/\\.fenced$//p'`], { timeoutMs: 20_000 });
  return result.stdout.split('\n').filter(Boolean);
}

/** Lets a fenced server pass an instance's writer check again. */
async function unfence(description: ClusterDescription, instance: EndpointInstance, name: string): Promise<void> {
  await execChecked(hostAccessOf(description), instance.backendName, ['rm', '-f', `${ENDPOINT_STATE_DIR}/${name}.fenced`, `${ENDPOINT_STATE_DIR}/${name}.failures`], { timeoutMs: 20_000 });
}

/** Writes the endpoint's config inside an instance, so a restarted instance serves the target. */
async function persistEndpointConfig(description: ClusterDescription, endpoint: HaproxyEndpointDetails, instance: EndpointInstance, config: string): Promise<void> {
  const tmp = `${endpoint.configPath}.new`;
  await execChecked(hostAccessOf(description), instance.backendName, ['sh', '-c', `cat > ${tmp} && mv ${tmp} ${endpoint.configPath}`], { timeoutMs: 20_000, input: config });
}

/**
 * Lifts a fence an instance set on `target` when it lost the writer role; then, with writable
 * standbys (every master writable), waits until the instance sees it pass its writer checks. With
 * one writer at a time the target is read-only until the move, which marks it up itself.
 */
async function admitTarget(description: ClusterDescription, endpoint: HaproxyEndpointDetails, instance: EndpointInstance, target: string, progress: (line: string) => void): Promise<void> {
  const runtime = runtimeOf(description, instance);
  const targetUp = async () => (await runtime.servers(endpoint.backend)).find((s) => s.name === target)?.status.startsWith('UP');
  // Only a target the instance sees down can be fenced; the check stays off the fast path.
  if (!(await targetUp()) && (await fencedServers(description, instance)).includes(target)) {
    progress(`      ${instance.backendName}: ${target} was fenced after losing the writer role; it has caught up, so it is re-admitted`);
    await unfence(description, instance, target);
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
