// Full-cluster recovery of a Galera cluster by hand: after every node was lost, the monitor restarts
// the cluster once the nodes that may hold the last commits are back; when one never returns (its
// data lost), automatic recovery is off, or the monitor refused, `mariadb-ha recover` finds each
// node's last committed position (grastate.dat, or InnoDB's recovery after a crash), restarts the
// cluster from the most advanced node, and lets the others rejoin it by incremental transfer. It
// decides as the monitor does (operator/galera/recovery.ts), under the monitor's lock.
import type { ClusterDescription, HostDescription } from '../constructs/description';
import { DATA_DIR, LAST_POSITION, NEW_CLUSTER_MARKER, SERVER_CONFIG_PATH } from '../render/entrypoint';
import { SERVER_SOCKET } from '../render/server-config';
import { HostAccess } from '../backends/host-access';
import { hostAccessOf } from '../operator/cluster-ref';
import { MonitorState } from '../operator/monitor-state';
import { chooseBootstrapNode, NodePosition, parseGrastate, parseRecoveredPosition } from '../operator/galera/recovery';

export interface RecoverOptions {
  readonly description: ClusterDescription;
  /** How long each step may wait for nodes to come up. */
  readonly waitSeconds: number;
  /** Nodes whose data is lost: not waited for, never chosen. */
  readonly gone?: string[];
  readonly progress: (line: string) => void;
}

/** One wsrep status value of a running node, read as root through its socket ('' when it does not answer). */
export async function nodeStatus(access: HostAccess, container: string, variable: string): Promise<string> {
  const result = await access.exec(container, ['mariadb', `--socket=${SERVER_SOCKET}`, '--batch', '--skip-column-names'],
    { input: `SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = '${variable.toUpperCase()}';\n`, timeoutMs: 20_000 });
  return result.code === 0 ? result.stdout.trim() : '';
}

/** Prints grastate.dat, then the node's last committed position (InnoDB's after a crash) as `WSREP: Recovered position: ...`. */
const READ_POSITION = `DATADIR=${DATA_DIR}; CONF=${SERVER_CONFIG_PATH}
${LAST_POSITION}
[ -f "$DATADIR/grastate.dat" ] || exit 0
cat "$DATADIR/grastate.dat"
echo "WSREP: Recovered position: $(last_position)"`;

/** The node's last committed position, from its stopped data. */
async function positionOf(access: HostAccess, node: HostDescription): Promise<NodePosition | undefined> {
  const result = await access.offline(node.backendName, READ_POSITION, { timeoutMs: 300_000 });
  if (result.code !== 0) return undefined;
  const state = parseGrastate(result.stdout);
  if (state.seqno >= 0) return { node: node.name, ...state, source: 'grastate.dat' };
  const position = parseRecoveredPosition(result.stdout);
  return { node: node.name, uuid: position?.uuid ?? state.uuid, seqno: position?.seqno ?? -1, safeToBootstrap: state.safeToBootstrap, source: 'InnoDB recovery' };
}

async function waitUntil(what: string, seconds: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** `mariadb-ha recover`: restarts a Galera cluster whose nodes were all lost; returns what it did. */
export async function recoverGalera(options: RecoverOptions): Promise<string> {
  const { description } = options;
  const g = description.galera;
  if (!g) throw new Error(`refused: ${description.cluster} is not a Galera cluster; 'mariadb-ha status' shows its replication`);
  const access = hostAccessOf(description);
  const monitorContainer = description.endpoint?.haproxy?.monitorContainer;
  const lock = monitorContainer && await access.isRunning(monitorContainer) ? await new MonitorState(access, monitorContainer).lock('recover', 30_000) : undefined;
  try {
    return await recoverUnderLock(options, access);
  } finally {
    await lock?.release();
  }
}

async function recoverUnderLock(options: RecoverOptions, access: HostAccess): Promise<string> {
  const { description, progress } = options;
  const g = description.galera!;
  const gone = options.gone ?? [];
  const started = Date.now();
  let stepStarted = started;
  const step = (line: string) => {
    const now = Date.now();
    progress(`  ${line} (${((now - stepStarted) / 1000).toFixed(1)} s)`);
    stepStarted = now;
  };
  const nodes = g.nodes.map((name) => description.hosts.find((h) => h.name === name)!);
  const running = await Promise.all(nodes.map((n) => access.isRunning(n.backendName)));
  for (const node of nodes.filter((_, i) => running[i])) {
    if (await nodeStatus(access, node.backendName, 'wsrep_cluster_status') === 'Primary') {
      throw new Error(`refused: the cluster runs (${node.name} is in its primary component, ${await nodeStatus(access, node.backendName, 'wsrep_cluster_size')} members); a node that is down rejoins it when started`);
    }
  }
  // Nodes still running outside a primary component hold their data directories: stop them first.
  const stopping = nodes.filter((_, i) => running[i]);
  await Promise.all(stopping.map((n) => access.stop(n.backendName, 60)));
  step(stopping.length ? `stopped ${stopping.map((n) => n.name).join(', ')} (running, but in no primary component)` : 'every node is stopped');
  const read = await Promise.all(nodes.filter((n) => !gone.includes(n.name)).map((n) => positionOf(access, n)));
  const positions = read.filter((p): p is NodePosition => p !== undefined);
  for (const p of positions) progress(`  ${p.node}: ${p.uuid}:${p.seqno} (${p.source}${p.safeToBootstrap ? ', safe to bootstrap' : ''})`);
  step('read every node\'s position');
  const choice = chooseBootstrapNode(positions, g.nodes, gone);
  if (!choice.node) throw new Error(`refused: ${choice.refusal}`);
  const first = nodes.find((n) => n.name === choice.node)!;
  const best = positions.find((p) => p.node === first.name)!;
  // The mark holds the recovered position, so the node continues the cluster's history (its peers then catch up incrementally).
  const mark = await access.offline(first.backendName, `echo '${best.uuid}:${best.seqno}' > ${DATA_DIR}/${NEW_CLUSTER_MARKER} && chown mysql:mysql ${DATA_DIR}/${NEW_CLUSTER_MARKER}`);
  if (mark.code !== 0) throw new Error(`${first.name}: could not mark it to restart the cluster: ${mark.stderr.trim()}`);
  await access.start(first.backendName);
  await waitUntil(`${first.name} to form the primary component`, options.waitSeconds,
    async () => await nodeStatus(access, first.backendName, 'wsrep_cluster_status') === 'Primary' && await nodeStatus(access, first.backendName, 'wsrep_local_state_comment') === 'Synced');
  step(`restarted the cluster from ${first.name}, the most advanced node`);
  // One at a time: two nodes joining at once can fail their incremental transfer.
  const others = nodes.filter((n) => n !== first && !gone.includes(n.name));
  for (const node of others) {
    await access.start(node.backendName);
    await waitUntil(`${node.name} to be synced`, options.waitSeconds, async () => await nodeStatus(access, node.backendName, 'wsrep_local_state_comment') === 'Synced');
    step(`${node.name} rejoined`);
  }
  return `recovered ${description.cluster} from ${first.name} at ${best.uuid}:${best.seqno} in ${((Date.now() - started) / 1000).toFixed(1)} s; ${others.length + 1} nodes are synced${gone.length ? ` (${gone.join(', ')} declared gone)` : ''}`;
}
