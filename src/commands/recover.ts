// Full-cluster recovery of a Galera cluster: after every node was lost at once (a power cut, every
// container killed), no node may start a cluster on its own. `mariadb-ha recover` finds each node's
// last committed position (grastate.dat, or `mariadbd --wsrep-recover` after a crash), restarts the
// cluster from the most advanced node, and lets the others rejoin it by state transfer; it never
// starts from a node that would lose committed transactions.
import type { ClusterDescription, HostDescription } from '../constructs/description';
import { DATA_DIR, NEW_CLUSTER_MARKER, SERVER_CONFIG_PATH } from '../render/entrypoint';
import { SERVER_SOCKET } from '../render/server-config';
import { DOCKER_HOST_ACCESS } from '../backends/docker/docker-host-access';
import { HostAccess } from '../backends/host-access';

/** Where one node stands: the cluster history it belongs to and the last transaction it committed. */
export interface NodePosition {
  readonly node: string;
  readonly uuid: string;
  /** -1 when the node holds no position (an empty or never-synced node). */
  readonly seqno: number;
  readonly safeToBootstrap: boolean;
  /** grastate.dat (a clean shutdown) or wsrep-recover (a crash). */
  readonly source: string;
}

const NO_HISTORY = '00000000-0000-0000-0000-000000000000';

/** Parses grastate.dat: `uuid: <uuid>`, `seqno: <n>`, `safe_to_bootstrap: 0|1`. */
export function parseGrastate(text: string): { uuid: string; seqno: number; safeToBootstrap: boolean } {
  const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(text)?.[1];
  return { uuid: field('uuid') ?? NO_HISTORY, seqno: Number(field('seqno') ?? -1), safeToBootstrap: field('safe_to_bootstrap') === '1' };
}

/** Parses `WSREP: Recovered position: <uuid>:<seqno>[,<gtid>]` from `mariadbd --wsrep-recover`'s log. */
export function parseRecoveredPosition(log: string): { uuid: string; seqno: number } | undefined {
  const match = /WSREP: Recovered position:\s*([0-9a-f-]{36}):(-?\d+)/.exec(log);
  return match ? { uuid: match[1], seqno: Number(match[2]) } : undefined;
}

/**
 * The node to restart the cluster from: every node with a position must share one history, and the
 * most advanced wins (a node marked safe to bootstrap, then declaration order, break a tie).
 */
export function chooseBootstrapNode(positions: NodePosition[], nodes: string[]): { node?: string; refusal?: string } {
  const known = positions.filter((p) => p.uuid !== NO_HISTORY && p.seqno >= 0);
  if (known.length === 0) return { refusal: `no node holds a position (${positions.map((p) => `${p.node}: ${p.uuid}:${p.seqno}`).join(', ')}); nothing to recover from` };
  const histories = [...new Set(known.map((p) => p.uuid))];
  if (histories.length > 1) {
    return { refusal: `the nodes hold ${histories.length} different cluster histories (${known.map((p) => `${p.node}: ${p.uuid}:${p.seqno}`).join(', ')}); decide which data to keep by hand, then empty the other nodes' volumes` };
  }
  const best = [...known].sort((a, b) => b.seqno - a.seqno || Number(b.safeToBootstrap) - Number(a.safeToBootstrap) || nodes.indexOf(a.node) - nodes.indexOf(b.node))[0];
  return { node: best.node };
}

export interface RecoverOptions {
  readonly description: ClusterDescription;
  /** How long each step may wait for nodes to come up. */
  readonly waitSeconds: number;
  readonly progress: (line: string) => void;
}

/** Recovery works on stopped nodes' volumes, which only the Docker host access reaches. */
const docker = DOCKER_HOST_ACCESS;

/** One wsrep status value of a running node, read as root through its socket ('' when it does not answer). */
export async function nodeStatus(access: HostAccess, container: string, variable: string): Promise<string> {
  const result = await access.exec(container, ['mariadb', `--socket=${SERVER_SOCKET}`, '--batch', '--skip-column-names'],
    { input: `SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = '${variable.toUpperCase()}';\n`, timeoutMs: 20_000 });
  return result.code === 0 ? result.stdout.trim() : '';
}

/** The node's last committed position, from its stopped volume. */
async function positionOf(node: HostDescription, image: string): Promise<NodePosition> {
  const volume = await docker.dataVolumeOf(node.backendName);
  const state = parseGrastate((await docker.inVolume(volume, image, `cat ${DATA_DIR}/grastate.dat 2>/dev/null || true`)).stdout);
  if (state.seqno >= 0) return { node: node.name, ...state, source: 'grastate.dat' };
  // A crash leaves seqno -1: InnoDB recovery tells the last committed transaction, with the node's own settings.
  const settings = await docker.readFileOf(node.backendName, SERVER_CONFIG_PATH);
  const recovered = await docker.inVolume(volume, image,
    `cat > /tmp/server.cnf && mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld && mariadbd --defaults-extra-file=/tmp/server.cnf --user=mysql --wsrep-recover --log-error=/dev/stderr 2>&1 | grep 'Recovered position' || true`,
    settings, 300_000);
  const position = parseRecoveredPosition(recovered.stdout);
  return { node: node.name, uuid: position?.uuid ?? state.uuid, seqno: position?.seqno ?? -1, safeToBootstrap: state.safeToBootstrap, source: 'wsrep-recover' };
}

async function waitUntil(what: string, seconds: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** `mariadb-ha recover`: restarts a Galera cluster whose nodes were all lost; returns what it did. */
export async function recoverGalera(options: RecoverOptions): Promise<string> {
  const { description, progress } = options;
  const g = description.galera;
  if (!g) throw new Error(`refused: ${description.cluster} is not a Galera cluster; 'mariadb-ha status' shows its replication`);
  const started = Date.now();
  const nodes = g.nodes.map((name) => description.hosts.find((h) => h.name === name)!);
  for (const node of nodes) {
    if (await docker.isRunning(node.backendName) && await nodeStatus(docker, node.backendName, 'wsrep_cluster_status') === 'Primary') {
      throw new Error(`refused: the cluster runs (${node.name} is in its primary component, ${await nodeStatus(docker, node.backendName, 'wsrep_cluster_size')} members); a node that is down rejoins it when started: docker start <its container>`);
    }
  }
  // Nodes still running outside a primary component hold their data directories: stop them first.
  for (const node of nodes) {
    if (await docker.isRunning(node.backendName)) {
      progress(`  stopping ${node.name} (running, but in no primary component)`);
      await docker.stop(node.backendName, 60);
    }
  }
  const image = await docker.imageOf(nodes[0].backendName);
  const positions = await Promise.all(nodes.map((n) => positionOf(n, image)));
  for (const p of positions) progress(`  ${p.node}: ${p.uuid}:${p.seqno} (${p.source}${p.safeToBootstrap ? ', safe to bootstrap' : ''})`);
  const choice = chooseBootstrapNode(positions, g.nodes);
  if (!choice.node) throw new Error(`refused: ${choice.refusal}`);
  const first = nodes.find((n) => n.name === choice.node)!;
  progress(`  restarting the cluster from ${first.name}, the most advanced node`);
  const best = positions.find((p) => p.node === first.name)!;
  // The mark holds the recovered position, so the node continues the cluster's history (its peers then catch up incrementally).
  await docker.inVolume(await docker.dataVolumeOf(first.backendName), image,
    `echo '${best.uuid}:${best.seqno}' > ${DATA_DIR}/${NEW_CLUSTER_MARKER} && chown mysql:mysql ${DATA_DIR}/${NEW_CLUSTER_MARKER}`);
  await docker.start(first.backendName);
  await waitUntil(`${first.name} to form the primary component`, options.waitSeconds,
    async () => await nodeStatus(docker, first.backendName, 'wsrep_cluster_status') === 'Primary' && await nodeStatus(docker, first.backendName, 'wsrep_local_state_comment') === 'Synced');
  // One at a time: two nodes joining at once can fail their incremental transfer.
  for (const node of nodes.filter((n) => n !== first)) {
    progress(`  ${node.name} rejoins`);
    await docker.start(node.backendName);
    await waitUntil(`${node.name} to be synced`, options.waitSeconds, async () => await nodeStatus(docker, node.backendName, 'wsrep_local_state_comment') === 'Synced');
  }
  await waitUntil(`one cluster of ${g.nodes.length} nodes`, options.waitSeconds,
    async () => Number(await nodeStatus(docker, first.backendName, 'wsrep_cluster_size')) >= g.nodes.length);
  return `recovered ${description.cluster} from ${first.name} at ${best.uuid}:${best.seqno} in ${((Date.now() - started) / 1000).toFixed(1)} s; every node is synced`;
}
