// HAProxy config for the writer endpoint: one writer at a time, candidates as backups in priority
// order, health checks that ask each server whether it is a writable MariaDB (pure).
import { GaleraWriteMode } from '../model/galera-topology';
import { TopologyPlan } from '../model/plan';
import { MARIADB_PORT } from './server-config';
import { GALERA_DONOR, GALERA_SYNCED, galeraStateQuery } from './sql';

export const HAPROXY_DIR = '/etc/haproxy/mariadb-ha';
export const HAPROXY_CONFIG_PATH = `${HAPROXY_DIR}/haproxy.cfg`;
export const WRITER_CHECK_PATH = `${HAPROXY_DIR}/writer-check.sh`;
/** Starts the check agents: one local listener per server that runs the writer check for HAProxy. */
export const CHECK_AGENTS_PATH = `${HAPROXY_DIR}/check-agents.sh`;
/** A server's check agent listens on 127.0.0.1 at this port plus the server's id. */
export const CHECK_AGENT_PORT_BASE = 9100;
/** What a check agent answers when the server passed its check. */
const CHECK_AGENT_HEALTHY = 'healthy';
export const WRITER_GATE_PATH = `${HAPROXY_DIR}/writer-gate.lua`;
/** Runtime API commands the writer gate adds: new connections wait while it is closed. */
export const GATE_CLOSE_COMMAND = 'writer-gate close';
export const GATE_OPEN_COMMAND = 'writer-gate open';
/** Longest a new connection waits at a closed gate; then it proceeds, so a lost tool cannot block clients. */
export const GATE_MAX_HOLD_MS = 10_000;
export const HAPROXY_SECRETS_DIR = `${HAPROXY_DIR}/secrets`;
/** HAProxy's runtime API: a unix socket only root and HAProxy's own user can open, never a port. */
export const HAPROXY_RUNTIME_SOCKET = '/run/haproxy/admin.sock';
export const WRITER_BACKEND = 'writer';
/** Where the writer check keeps its state: failure counters and fences. */
export const ENDPOINT_STATE_DIR = '/var/lib/mariadb-ha';

/** How the endpoint decides a server is a healthy writer. */
export interface WriterHealthCheck {
  /**
   * Milliseconds between checks of each server; HAProxy also gives up on a check still running after it.
   * Crashes are caught sooner by failed client connections (`connectionErrorLimit`).
   * @default 1000
   */
  readonly intervalMs?: number;
  /**
   * Milliseconds a check may take (connect, log in, query); keep it below `intervalMs`, which is
   * when HAProxy gives up on a check. Generous, so a loaded host is not mistaken for a dead one.
   * @default 800
   */
  readonly timeoutMs?: number;
  /**
   * Consecutive failed checks before a server is taken out.
   * @default 3
   */
  readonly fall?: number;
  /**
   * Consecutive good checks before a server is used again.
   * @default 2
   */
  readonly rise?: number;
  /**
   * Failed client connections to a server that take it out at once, before its checks do.
   * @default 2
   */
  readonly connectionErrorLimit?: number;
}

/** The health-check settings with defaults applied (shared by the config and the check script). */
export function resolveHealthCheck(check: WriterHealthCheck = {}): Required<WriterHealthCheck> {
  return {
    intervalMs: check.intervalMs ?? 1000,
    timeoutMs: check.timeoutMs ?? 800,
    fall: check.fall ?? 3,
    rise: check.rise ?? 2,
    connectionErrorLimit: check.connectionErrorLimit ?? 2,
  };
}

export interface EndpointRender {
  /** The master new connections go to while it is healthy. */
  readonly activeMaster: string;
  /** Each candidate's address on the cluster network. */
  readonly addresses: { [hostName: string]: string };
  readonly healthCheck?: WriterHealthCheck;
  /**
   * Account the health check logs in with (its password comes from a file in the container).
   * @default 'monitor'
   */
  readonly checkUser: string;
}

/** HAProxy's server id for the host at `planIndex` in the plan: fixed per host, whatever the server order. */
export function haproxyServerId(planIndex: number): number {
  return planIndex + 1;
}

/** Candidates in endpoint order: the active master, then the others by priority. */
export function endpointServers(plan: TopologyPlan, activeMaster: string): string[] {
  return [activeMaster, ...plan.candidates.filter((c) => c !== activeMaster)];
}

/** The sections every writer endpoint has; `gate` adds the writer gate a switchover closes. */
function commonSections(header: string, gate: boolean): string {
  return `# Rendered by cdktf-mariadb-ha: ${header}. Do not edit.
global
  log stdout format raw local0 info
  maxconn 4096
  # HAProxy binds its ports as root, then runs as its own user.
  user haproxy
  group haproxy
  # The runtime API steers the endpoint: a unix socket in the container, not a port on the network.
  stats socket ${HAPROXY_RUNTIME_SOCKET} mode 600 user haproxy group haproxy level admin
  stats timeout 2m
${gate ? `  # The writer gate: a switchover holds new connections here while no master may take writes.
  lua-load ${WRITER_GATE_PATH}
` : ''}
defaults
  mode tcp
  log global
  option tcplog
  timeout connect 250ms
  timeout client 8h
  timeout server 8h
  # No 'timeout check': a check's connect and answer are then bounded by inter; the agent's check
  # bounds its own login with timeoutMs.

frontend writer
  bind :${MARIADB_PORT}
${gate ? `  # MariaDB clients wait for the server's greeting, so a held connection just sees a slow connect.
  tcp-request inspect-delay ${GATE_MAX_HOLD_MS + 5000}ms
  tcp-request content lua.writer_gate
` : ''}  default_backend ${WRITER_BACKEND}
`;
}

/**
 * The servers an endpoint checks, with the id HAProxy knows each by (fixed per host whatever the
 * server order, so runtime state and stick entries keep meaning): a Galera cluster's nodes, or the candidates.
 */
function checkedServers(plan: TopologyPlan): Array<{ name: string; id: number }> {
  if (plan.galera) return plan.galera.nodes.map((name, i) => ({ name, id: haproxyServerId(i) }));
  return plan.candidates.map((name) => ({ name, id: haproxyServerId(plan.hosts.findIndex((h) => h.name === name)) }));
}

/** A server of the endpoint, checked at its check agent on the container's loopback. */
function serverLine(server: { name: string; id: number }, address: string, backup: boolean): string {
  return `  server ${server.name} ${address}:${MARIADB_PORT} id ${server.id} check addr 127.0.0.1 port ${CHECK_AGENT_PORT_BASE + server.id}${backup ? ' backup' : ''}`;
}

/**
 * Check settings of every server, and how a failing one is taken out. HAProxy asks each server's
 * check agent, never starts a check process itself: a process HAProxy forks holds copies of its
 * sockets, and a connection HAProxy closes meanwhile stays in its poller under a number the next
 * connection reuses, which then gets the old one's close (`bash bench/run.sh checks`, a check every
 * 100 ms: 11 of 21,728 new connections lost with the check forked by HAProxy, none of 20,587 here).
 */
function serverDefaults(check: Required<WriterHealthCheck>): string {
  const interval = check.intervalMs;
  return `  option tcp-check
  tcp-check connect
  tcp-check expect string ${CHECK_AGENT_HEALTHY}
  # Every change in a server's check results is logged with its reason (failed checks included).
  option log-health-checks
  option redispatch
  retries 2
  # A lost writer's sessions are closed at once, so clients reconnect to its successor.
  default-server inter ${interval}ms fastinter ${interval}ms downinter ${interval}ms fall ${check.fall} rise ${check.rise} on-marked-down shutdown-sessions observe layer4 error-limit ${check.connectionErrorLimit} on-error mark-down`;
}

/** One writer at a time: every connection shares one stick entry, which the check clears when its server is lost. */
const PINNED_WRITER = `  stick-table type integer size 1 nopurge
  stick on int(1)`;

export function renderHaproxyConfig(plan: TopologyPlan, r: EndpointRender): string {
  const check = resolveHealthCheck(r.healthCheck);
  const checked = checkedServers(plan);
  const servers = endpointServers(plan, r.activeMaster).map((name, i) => serverLine(checked.find((c) => c.name === name)!, r.addresses[name], i > 0));
  return `${commonSections(`writer endpoint; active master ${r.activeMaster}`, true)}
backend ${WRITER_BACKEND}
  # One writer at a time: every connection shares one stick entry. When the pinned writer fails,
  # the writer check fences it and clears the entry, so the successor is pinned and the lost
  # writer gets no writes when it returns; only a switchover re-admits it.
${PINNED_WRITER}
${serverDefaults(check)}
${servers.join('\n')}
`;
}

/**
 * HAProxy config for a Galera cluster's endpoint. One node at a time (the first synced node in
 * declaration order, kept until it is lost: a returning node does not take the writes back), or
 * every synced node, least connections first.
 */
export function renderGaleraHaproxyConfig(plan: TopologyPlan, r: Omit<EndpointRender, 'activeMaster'>): string {
  const g = plan.galera!;
  const check = resolveHealthCheck(r.healthCheck);
  const oneNode = g.writeMode === GaleraWriteMode.ONE_NODE;
  const servers = checkedServers(plan).map((node, i) => serverLine(node, r.addresses[node.name], oneNode && i > 0));
  return `${commonSections(`Galera endpoint of ${g.clusterName}; writes to ${oneNode ? 'one node at a time' : 'every synced node'}`, false)}
backend ${WRITER_BACKEND}
${oneNode ? `  # One node at a time avoids certification conflicts between nodes: every connection shares one
  # stick entry, cleared by the check when its node is lost, so the next synced node is pinned.
${PINNED_WRITER}` : `  # Every synced node takes writes; rows changed on two nodes at once fail one commit with 1213.
  balance leastconn`}
${serverDefaults(check)}
${servers.join('\n')}
`;
}

/** Shell lines that set `variable` to the server's answer to `query` (no single quotes in it), logged in as the check user. */
function askServer(checkUser: string, seconds: string, variable: string, query: string): string {
  return `# During a rotation: the next password, the current one, the next again, each only after a refused
# login. A host that switches passwords between two attempts, or a rotation that promotes the next
# password to current between two reads, then still finds one that works.
${variable}=
for secret in ${HAPROXY_SECRETS_DIR}/monitor.next ${HAPROXY_SECRETS_DIR}/monitor ${HAPROXY_SECRETS_DIR}/monitor.next; do
  [ -r "$secret" ] || continue
  MYSQL_PWD=$(cat "$secret"); export MYSQL_PWD
  ${variable}=$(timeout ${seconds} mariadb --connect-timeout=1 --host="$3" --port="$4" --user=${checkUser} \\
    --skip-ssl --batch --skip-column-names --execute='${query}' 2>"$STATE/$name.error") && break
  grep -q 'ERROR 1045' "$STATE/$name.error" || break
done`;
}

/** The check's preamble: its arguments, its state directory and the runtime API. */
function checkPreamble(): string {
  return `#!/bin/sh
# Rendered by cdktf-mariadb-ha. The server's check agent runs it as HAProxy runs an external check:
# with <proxy addr> <proxy port> <server addr> <server port>, HAPROXY_SERVER_NAME and HAPROXY_SERVER_ID.
STATE=${ENDPOINT_STATE_DIR}
name=$HAPROXY_SERVER_NAME
mkdir -p "$STATE"
runtime() { echo "$1" | socat -t 1 - UNIX-CONNECT:${HAPROXY_RUNTIME_SOCKET}; }`;
}

/** True (in awk's exit status) when HAProxy has taken this server out. */
const TAKEN_OUT = `runtime "show stat" | awk -F, -v me="$name" \\
       '$1 == "${WRITER_BACKEND}" && $2 == me && $18 ~ /^DOWN/ { down = 1 } END { exit !down }'`;

/**
 * The writer check a server's check agent runs for HAProxy. Healthy means the server takes a
 * login, answers, and is writable; an open port is not enough. It also fences a lost writer: when
 * the server the endpoint is pinned to fails `fall` checks in a row, it is marked fenced (it never
 * passes again until a switchover removes the mark) and the stick entry is cleared so the next
 * connection pins the successor.
 */
export function renderWriterCheck(checkUser: string, healthCheck?: WriterHealthCheck): string {
  const check = resolveHealthCheck(healthCheck);
  const seconds = (check.timeoutMs / 1000).toFixed(3);
  return `${checkPreamble()}

# This server was lost as the writer if the endpoint is still pinned to it while HAProxy has taken
# it out (failed client connections) or its last ${check.fall} checks as the pinned writer failed (or
# took too long). Fence it, and let the next connection pin its successor.
failures=$(cat "$STATE/$name.failures" 2>/dev/null || echo 0)
if runtime "show table ${WRITER_BACKEND}" | grep -q "server_id=$HAPROXY_SERVER_ID "; then
  if [ ! -f "$STATE/$name.fenced" ] && { [ "$failures" -ge ${check.fall} ] || ${TAKEN_OUT}; }; then
    date -u +%Y-%m-%dT%H:%M:%SZ > "$STATE/$name.fenced"
    runtime "clear table ${WRITER_BACKEND}" >/dev/null
  fi
  # Counted as failed unless it finishes healthy, so a check that never finishes still counts.
  echo $((failures + 1)) > "$STATE/$name.failures"
else
  # Only checks as the pinned writer count: a read-only standby fails every check.
  rm -f "$STATE/$name.failures"
fi

${askServer(checkUser, seconds, 'read_only', 'SELECT @@global.read_only')}
[ "$read_only" = "0" ] || exit 1
rm -f "$STATE/$name.failures"
[ -f "$STATE/$name.fenced" ] || exit 0
# Fenced: it lost the writer role, and stays out while another writer serves (a switchover lifts
# the fence). With no other writer up, a fenced but healthy writer beats an outage.
runtime "show stat" | awk -F, -v me="$name" \\
  '$1 == "${WRITER_BACKEND}" && $2 != me && $2 != "FRONTEND" && $2 != "BACKEND" && $18 ~ /^UP/ { up = 1 } END { exit !up }' && exit 1
rm -f "$STATE/$name.fenced"
`;
}

/**
 * The check of a Galera node its check agent runs for HAProxy: healthy means it takes a login and
 * is a synced member of the primary component that does not reject queries. With one node at a
 * time, the node the endpoint is pinned to clears the stick entry when it is lost, so the next
 * synced node is pinned (and keeps the writes when the lost one returns).
 * @see https://mariadb.com/kb/en/galera-cluster-status-variables/#wsrep_local_state
 */
export function renderGaleraCheck(checkUser: string, oneNode: boolean, availableWhenDonor: boolean, healthCheck?: WriterHealthCheck): string {
  const check = resolveHealthCheck(healthCheck);
  const seconds = (check.timeoutMs / 1000).toFixed(3);
  // Double-quoted SQL strings: the shell quotes the query in single quotes.
  const query = galeraStateQuery('"');
  const unpin = oneNode ? `
# Lost as the pinned node (taken out, or its last ${check.fall} checks failed or took too long): clear
# the entry, so the next connection pins the next synced node.
failures=$(cat "$STATE/$name.failures" 2>/dev/null || echo 0)
if runtime "show table ${WRITER_BACKEND}" | grep -q "server_id=$HAPROXY_SERVER_ID "; then
  if [ "$failures" -ge ${check.fall} ] || ${TAKEN_OUT}; then runtime "clear table ${WRITER_BACKEND}" >/dev/null; fi
  # Counted as failed unless it finishes healthy, so a check that never finishes still counts.
  echo $((failures + 1)) > "$STATE/$name.failures"
fi
` : '';
  return `${checkPreamble()}
${unpin}
${askServer(checkUser, seconds, 'state', query)}
${availableWhenDonor
    ? `# Synced (4), or a donor (2) of a mariabackup transfer, which keeps taking writes, in the primary
# component and taking queries; a joiner or a node cut off is not.
[ "$state" = "${GALERA_SYNCED}" ] || [ "$state" = "${GALERA_DONOR}" ] || exit 1`
    : `# Synced (4) in the primary component, taking queries; a joiner, a donor (blocked by an rsync
# transfer) or a node cut off is not.
[ "$state" = "${GALERA_SYNCED}" ] || exit 1`}
rm -f "$STATE/$name.failures"
`;
}

/**
 * The check agents: for each server a listener on 127.0.0.1 (port CHECK_AGENT_PORT_BASE + its id)
 * that runs the endpoint's check as HAProxy's user for every connection and answers whether it
 * passed. They fork for HAProxy, whose own forks would hand a closed connection's events to the
 * next one (see serverDefaults). A listener that stops is started again.
 */
export function renderCheckAgents(plan: TopologyPlan, addresses: { [hostName: string]: string }): string {
  const agents = checkedServers(plan).map((s) => `agent ${s.name} ${s.id} ${addresses[s.name]} &`);
  return `#!/bin/sh
# Rendered by cdktf-mariadb-ha: the endpoint's check agents. Do not edit.
# agent <server name> <server id> <server address>: runs the check for each connection, answers
# '${CHECK_AGENT_HEALTHY}' or 'failed <exit status>'. socat forks, so HAProxy never has to.
agent() {
  while :; do
    socat -T 5 TCP-LISTEN:$((${CHECK_AGENT_PORT_BASE} + $2)),bind=127.0.0.1,reuseaddr,fork \\
      SYSTEM:"HAPROXY_SERVER_NAME=$1 HAPROXY_SERVER_ID=$2 ${WRITER_CHECK_PATH} - - $3 ${MARIADB_PORT} </dev/null >/dev/null 2>&1 && echo ${CHECK_AGENT_HEALTHY} || echo failed \\$?",su=haproxy
    sleep 0.5
  done
}
${agents.join('\n')}
wait
`;
}

/**
 * HAProxy Lua for the writer gate. A switchover closes it for the instant no master may take
 * writes (the old one is fenced, the new one is catching up); new connections wait instead of
 * failing, and proceed to the new writer when it opens. Each waits at most GATE_MAX_HOLD_MS, and
 * a gate left closed reopens by itself after that, so a tool that dies cannot block clients.
 * Checked by polling in 5 ms steps: HAProxy 2.6 cannot raise a frontend's maxconn at run time
 * without its watchdog killing the process (seen with 2.6.12), so holding by maxconn is out.
 */
export function renderWriterGate(): string {
  const steps = Math.ceil(GATE_MAX_HOLD_MS / 5);
  return `-- Rendered by cdktf-mariadb-ha: the writer gate. Do not edit.
local closed_at = nil
local function now_ms() local t = core.now(); return t.sec * 1000 + t.usec // 1000 end
local function closed() return closed_at ~= nil and now_ms() - closed_at < ${GATE_MAX_HOLD_MS} end
core.register_cli({"writer-gate", "close"}, "writer-gate close: hold new writer connections", function(applet) closed_at = now_ms() end)
core.register_cli({"writer-gate", "open"}, "writer-gate open: release held writer connections", function(applet) closed_at = nil end)
core.register_cli({"writer-gate", "show"}, "writer-gate show: open or closed", function(applet) applet:send(closed() and "closed\\n" or "open\\n") end)
core.register_action("writer_gate", {"tcp-req"}, function(txn)
  local waited = 0
  while closed() and waited < ${steps} do core.msleep(5); waited = waited + 1 end
end, 0)
`;
}
