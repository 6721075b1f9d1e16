// What the Galera live tests share: waiting for one cluster, comparing every host, the workloads
// (the counter through the endpoint, inserts straight into a node), the tools, and the logs a
// failure attaches (each node's, the endpoint's server events).
import { main } from '../../src/commands/cli';
import { queryRows, withConnection } from '../../src/operator/sql-client';
import { GaleraNodeState, readGaleraState } from '../../src/operator/replication-status';
import { runEndpointLoad, WriteRecord, Workload } from './load/endpoint-load';
import { tableDigests, waitForConvergence } from './cluster-checks';
import { GaleraDeployment } from './galera-deployment';
import { containerLogLines, waitFor, withContainerLogs } from './live-stack';

export const COUNTER = 'increments';
export const ORDERS = 'orders';

function galeraState(g: GaleraDeployment, node: string): Promise<GaleraNodeState> {
  return withConnection(g.host(node), g.monitor, readGaleraState);
}

/** Every listed node is a synced member of one primary component of `size` members; returns its history's uuid. */
export async function oneCluster(g: GaleraDeployment, nodes: string[], size: number, timeoutMs = 120_000): Promise<string> {
  return waitFor(`${nodes.join(', ')} synced in one cluster of ${size}`, timeoutMs, async () => {
    const states = await Promise.all(nodes.map((n) => galeraState(g, n)));
    const uuids = new Set(states.map((s) => s.stateUuid));
    return states.every((s) => s.clusterStatus === 'Primary' && s.localState === 'Synced' && s.clusterSize === size && s.ready) && uuids.size === 1
      ? [...uuids][0] : undefined;
  }, 500);
}

/** Every host holds what `writer` logged, then each table has one checksum everywhere. */
export async function expectAllEqual(g: GaleraDeployment, writer: string, tables: string[]): Promise<void> {
  await waitForConvergence(g.hosts, [writer], g.monitor, 90_000);
  for (const table of tables) {
    const digests = await tableDigests(g.hosts, g.app, table);
    expect({ table, checksums: new Set(digests.map((d) => d.checksum)).size, rows: new Set(digests.map((d) => d.rows)).size }).toEqual({ table, checksums: 1, rows: 1 });
  }
}

export async function tool(g: GaleraDeployment, args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await g.withToolPasswords(() => main([...args, '--cluster', g.live.dockerPrefix, '--stack-dir', g.live.dir], (s) => lines.push(s), (s) => lines.push(s)));
  return { code, output: lines.join('\n') };
}

/** Resources a plan would change, as `<address>: <actions>`. */
export function plannedChanges(g: GaleraDeployment): Promise<string[]> {
  return g.live.plannedChanges();
}

/** Committed increments on a node: the baseline of the next load's audit. */
export async function incrementsOn(g: GaleraDeployment, node: string): Promise<number> {
  return withConnection(g.host(node), g.app, async (c) => Number((await queryRows<any>(c, `SELECT COUNT(*) AS n FROM ${COUNTER}`))[0].n));
}

/** The counter workload (held and new connections incrementing one row) through the endpoint. */
export function counterLoad(g: GaleraDeployment, durationMs: number, connections = 2, stopWhen?: () => boolean): Promise<WriteRecord[]> {
  return runEndpointLoad({
    endpoint: g.endpoint, login: g.app, table: COUNTER, workload: Workload.COUNTER, heldConnections: connections, recycledConnections: connections,
    recycleEvery: 1, durationMs, maxWritesPerWorker: 20_000, pauseMs: 10, stopWhen,
  });
}

/** Inserts straight into one node (not through the endpoint), from held and new connections. */
export function insertsOn(g: GaleraDeployment, node: string, durationMs: number): Promise<WriteRecord[]> {
  return runEndpointLoad({
    endpoint: g.nodeAddress(node), login: g.app, table: ORDERS, heldConnections: 2, recycledConnections: 2, recycleEvery: 10,
    durationMs, maxWritesPerWorker: 20_000, pauseMs: 5,
  });
}

/** What the endpoint's HAProxy said about its servers (up, down, and why), for failure messages. */
async function endpointEvents(g: GaleraDeployment): Promise<string> {
  // Server state changes, and connections that did not end normally (tcplog termination state other than '--' or 'CD').
  const events = (await containerLogLines(g.container('writer'))).filter((l) => /is (DOWN|UP)|Health check/.test(l) || /\s(?!--|CD)[A-Za-z-]{2}\s+\d+\/\d+\/\d+\/\d+\/\d+\s/.test(l));
  return `--- ${g.container('writer')} (server events) ---\n${events.slice(-40).join('\n')}`;
}

export const withLogs = <T>(g: GaleraDeployment, work: () => Promise<T>): Promise<T> =>
  withContainerLogs([...g.hosts.map((h) => g.container(h.name)), g.container('monitor')], work, () => g.live.applyProgress(), () => endpointEvents(g));

