// The failover monitor: one process per cluster, the only actor besides a planned switchover that
// makes a master writable. It watches every master, fails over when the writer is lost (detect,
// confirm, detach, apply the relay log, promote), fences any other master it finds writable, and
// re-points replicas whose source is lost. Pure: renders a bash script for a container that has
// the MariaDB client (the endpoint's image).
import { APPLICATION_USER, OPERATOR_USER, REPLICATION_USER, SecretName } from '../model/accounts';
import { HostKind, TopologyPlan } from '../model/plan';
import { MARIADB_PORT } from './server-config';
import { shellQuote } from './shell';
import { GALERA_DONOR, GALERA_SYNCED, galeraStateQuery, secretVariable, withSecret } from './sql';

export const MONITOR_DIR = '/etc/mariadb-ha/monitor';
export const MONITOR_SCRIPT_PATH = `${MONITOR_DIR}/monitor.sh`;
export const MONITOR_SECRETS_DIR = `${MONITOR_DIR}/secrets`;
/** The monitor's state: the writer it knows, and the lock one actor holds while it moves the writer. */
export const MONITOR_STATE_DIR = '/var/lib/mariadb-ha';
export const MONITOR_WRITER_FILE = `${MONITOR_STATE_DIR}/writer`;
export const MONITOR_LOCK_DIR = `${MONITOR_STATE_DIR}/lock`;
/** A lock older than this was left by an actor that died; the next actor may take it. */
export const MONITOR_LOCK_STALE_SECONDS = 60;

/** How the monitor decides a writer is lost. */
export interface FailoverMonitorOptions {
  /**
   * Milliseconds the writer must be unreachable before the monitor acts; a master paused or
   * restarting for less is never failed over.
   * @default 3000
   */
  readonly detectionMs?: number;
  /**
   * Milliseconds between probes of every master.
   * @default 500
   */
  readonly probeIntervalMs?: number;
}

export function resolveMonitorOptions(o: FailoverMonitorOptions = {}): Required<FailoverMonitorOptions> {
  return { detectionMs: o.detectionMs ?? 3000, probeIntervalMs: o.probeIntervalMs ?? 500 };
}

/** `CHANGE MASTER` to the host named by the shell variable `target`, by GTID, keeping `$delay`. */
function changeMasterTo(target: string): string {
  return withSecret(
    `CHANGE MASTER '$${target}' TO MASTER_HOST='\${ADDRESS[$${target}]}', MASTER_PORT=${MARIADB_PORT}, MASTER_USER='${REPLICATION_USER}', MASTER_PASSWORD=`,
    SecretName.REPLICATION, ', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=2, MASTER_DELAY=${delay:-0}');
}

/** log, now_ms, sql and slave_field: how a monitor talks to the hosts, as the operator account. */
function sessionFunctions(): string {
  return `log() { echo "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ) $*"; }
now_ms() { date +%s%3N; }
# One statement (or several) on a host as the operator account; bounded so a frozen host cannot stall a tick.
sql() {
  MYSQL_PWD=$(cat "$SECRETS/operator") timeout "\${3:-3}" mariadb --connect-timeout=1 --host="\${ADDRESS[$1]}" --port=${MARIADB_PORT} \\
    --user=${OPERATOR_USER} --skip-ssl --batch --skip-column-names --execute="$2"
}
# One field of SHOW SLAVE '<channel>' STATUS on a host.
slave_field() {
  MYSQL_PWD=$(cat "$SECRETS/operator") timeout 3 mariadb --connect-timeout=1 --host="\${ADDRESS[$1]}" --port=${MARIADB_PORT} \\
    --user=${OPERATOR_USER} --skip-ssl --vertical --execute="SHOW SLAVE '$2' STATUS" 2>/dev/null \\
    | awk -F': ' -v f="$3" '{ sub(/^ +/, "", $1) } $1 == f { print $2 }'
}
`;
}

/** take_lock, release_lock, locked_by_other: one actor at a time (this monitor, or a tool holding the lock). */
function lockFunctions(): string {
  return `# One actor moves the writer at a time: this monitor, or a switchover (which takes the same lock).
take_lock() {
  if [ -d "$LOCK" ] && [ -n "$(find "$LOCK" -maxdepth 0 -mmin +$((${MONITOR_LOCK_STALE_SECONDS} / 60)) 2>/dev/null)" ]; then
    log "removing a lock left by $(cat "$LOCK/owner" 2>/dev/null || echo 'an unknown actor') over ${MONITOR_LOCK_STALE_SECONDS} s ago"
    rm -rf "$LOCK"
  fi
  mkdir "$LOCK" 2>/dev/null && echo monitor > "$LOCK/owner"
}
release_lock() { rm -rf "$LOCK"; }
locked_by_other() { [ -d "$LOCK" ] && [ "$(cat "$LOCK/owner" 2>/dev/null)" != monitor ]; }

`;
}

function actFunction(): string {
  return `# Runs statements on a host, logging the server's answer when they fail.
act() {
  local out
  out=$(sql "$1" "$2" 10 2>&1) || { log "$1: '$2' failed: \${out:-timed out}"; return 1; }
}

`;
}

/** repoint <replica> <lost source>: the replica follows the host in the shell variable `target` instead. */
function repointFunction(target: string, changeMasterSql: string): string {
  return `# A replica following a lost or detached master follows the writer instead, by GTID, keeping its
# delay. The lost source's connection is dropped in the background: stopping it waits out its
# reconnect attempt, and the replica already replicates from the writer meanwhile.
repoint() {
  local replica=$1 source=$2 delay dropping="$STATE/dropping.$1.$2"
  [ -f "$dropping" ] && return 0
  [ -n "$(slave_field "$replica" "$source" Master_Host)" ] || return 0
  if [ -z "$(slave_field "$replica" "$${target}" Master_Host)" ]; then
    delay=$(slave_field "$replica" "$source" SQL_Delay)
    # The password reaches SQL as base64 and is quoted by the server, so no value can break out.
    act "$replica" "SET ${secretVariable(SecretName.REPLICATION)} = FROM_BASE64('$(base64 -w0 < "$SECRETS/replication")');
      ${changeMasterSql}
      START SLAVE '$${target}'" || return
    log "re-pointed $replica: $source is lost, it now replicates from $${target}"
  fi
  touch "$dropping"
  { act "$replica" "STOP SLAVE '$source'" && act "$replica" "RESET SLAVE '$source' ALL" && log "$replica no longer replicates from $source"; rm -f "$dropping"; } &
}

`;
}

export function renderMonitorScript(plan: TopologyPlan, addresses: { [hostName: string]: string }, options?: FailoverMonitorOptions): string {
  const o = resolveMonitorOptions(options);
  const list = (names: string[]) => names.map(shellQuote).join(' ');
  const changeMaster = changeMasterTo('writer');
  const addressList = Object.entries(addresses).map(([n, a]) => `[${shellQuote(n)}]=${shellQuote(a)}`).join(' ');
  return `#!/bin/bash
# Rendered by cdktf-mariadb-ha: the failover monitor; do not edit.
set -u
MASTERS=(${list(plan.writers)})
CANDIDATES=(${list(plan.candidates)})
REPLICAS=(${list(plan.hosts.filter((h) => h.kind === HostKind.REPLICA).map((h) => h.name))})
declare -A ADDRESS=(${addressList})
DETECT_MS=${o.detectionMs}
# Without the candidate's word (its own link to the writer still up: a frozen server keeps its TCP
# sessions until the replication heartbeat times out), the writer must stay lost twice as long.
CONFIRM_MS=${o.detectionMs * 2}
TICK=${(o.probeIntervalMs / 1000).toFixed(3)}
STATE=${MONITOR_STATE_DIR}
LOCK=${MONITOR_LOCK_DIR}
WRITER_FILE=${MONITOR_WRITER_FILE}
SECRETS=${MONITOR_SECRETS_DIR}
mkdir -p "$STATE"

${sessionFunctions()}# rw, ro, down (no answer: refused, timed out, frozen) or error (answered, e.g. a refused login during a
# password rotation). Only down counts towards a failover.
probe() {
  local out
  if out=$(sql "$1" 'SELECT @@global.read_only' 2>&1); then
    [ "$out" = 0 ] && echo rw || echo ro
  elif [ -z "$out" ] || echo "$out" | grep -qE "ERROR (2002|2003|2005|2006|2013)"; then
    echo down
  else
    echo error
  fi
}

${lockFunctions()}# Fences a master that must not take writes: read-only, then its application sessions closed.
fence() {
  if sql "$1" "SET SESSION lock_wait_timeout = 5; SET GLOBAL read_only = ON; KILL CONNECTION USER '${APPLICATION_USER}'" 5; then
    log "fenced $1: it is writable but $writer is the writer"
  else
    log "could not fence $1 yet"
  fi
}

${actFunction()}# 0 when the candidate has applied every event it received from the lost writer (its IO thread is
# stopped), 1 while it is still applying, 2 when it cannot (an SQL error).
relay_applied() {
  local c=$1 lost=$2
  local errno
  errno=$(slave_field "$c" "$lost" Last_SQL_Errno)
  [ "\${errno:-0}" = 0 ] || { log "$c: replication from $lost stopped on error $errno: $(slave_field "$c" "$lost" Last_SQL_Error)"; return 2; }
  if [ "$(slave_field "$c" "$lost" Master_Log_File)" = "$(slave_field "$c" "$lost" Relay_Master_Log_File)" ] \\
    && [ "$(slave_field "$c" "$lost" Read_Master_Log_Pos)" = "$(slave_field "$c" "$lost" Exec_Master_Log_Pos)" ]; then
    return 0
  fi
  # Stopped before it applied everything (an earlier attempt): let it finish.
  [ "$(slave_field "$c" "$lost" Slave_SQL_Running)" = Yes ] || act "$c" "START SLAVE '$lost' SQL_THREAD"
  return 1
}

# Detach the lost writer from the candidate, apply what it already received, make it the writer.
failover() {
  local lost=$1 waited_since code
  local cand=
  for c in "\${CANDIDATES[@]}"; do
    if [ "$c" != "$lost" ] && { [ "\${state[$c]}" = ro ] || [ "\${state[$c]}" = rw ]; }; then cand=$c; break; fi
  done
  [ -n "$cand" ] || { log "$lost is lost and no candidate answers; waiting"; return; }
  take_lock || return
  log "failover: $lost lost; promoting $cand"
  local attached=
  if [ -n "$(slave_field "$cand" "$lost" Master_Host)" ]; then
    attached=yes
    # A frozen writer keeps its connection: stop receiving first. A dead one's connection is already
    # down (Connecting), and stopping it waits out its reconnect attempt, so that comes after.
    if [ "$(slave_field "$cand" "$lost" Slave_IO_Running)" = Yes ]; then
      act "$cand" "STOP SLAVE '$lost' IO_THREAD" || { release_lock; return; }
    fi
    waited_since=$(now_ms)
    while true; do
      relay_applied "$cand" "$lost"; code=$?
      [ $code -eq 0 ] && break
      [ $code -eq 2 ] && { log "failover stopped: $cand cannot apply what it received; fix its replication, the monitor retries"; release_lock; return; }
      [ $(( $(now_ms) - waited_since )) -gt 60000 ] && { log "failover stopped: $cand is still applying its relay log after 60 s; the monitor retries"; release_lock; return; }
      sleep 0.05
    done
  fi
  act "$cand" 'SET GLOBAL read_only = OFF' || { release_lock; return; }
  writer=$cand
  echo "$writer" > "$WRITER_FILE"
  # Until 'mariadb-ha rejoin' makes it a standby again, no replica follows the lost writer.
  touch "$STATE/detached.$lost"
  log "failover done: $writer is the writer ($lost lost for $(( $(now_ms) - \${down_since[$lost]} )) ms)"
  # Detached for good, in the background (holding the lock): when the lost writer returns, nothing
  # it alone committed flows into the new writer.
  if [ -n "$attached" ]; then
    { act "$cand" "STOP SLAVE '$lost'" && act "$cand" "RESET SLAVE '$lost' ALL" && log "$cand no longer replicates from $lost"; release_lock; } &
  else
    release_lock
  fi
}

${repointFunction('writer', changeMaster)}declare -A state down_since
writer=$(cat "$WRITER_FILE" 2>/dev/null || true)
known=$writer
ro_since=
log "monitoring \${MASTERS[*]} (candidates \${CANDIDATES[*]}); writer \${writer:-not known yet}; detection \${DETECT_MS} ms"
for m in "\${MASTERS[@]}"; do down_since[$m]=; done
while true; do
  probes=()
  for m in "\${MASTERS[@]}"; do probe "$m" > "$STATE/probe.$m" & probes+=($!); done
  wait "\${probes[@]}"
  now=$(now_ms)
  writable=()
  for m in "\${MASTERS[@]}"; do
    state[$m]=$(cat "$STATE/probe.$m")
    if [ "\${state[$m]}" = down ]; then down_since[$m]=\${down_since[$m]:-$now}; else down_since[$m]=; fi
    [ "\${state[$m]}" = rw ] && writable+=("$m")
  done
  if locked_by_other; then sleep "$TICK"; writer=$(cat "$WRITER_FILE" 2>/dev/null || true); continue; fi
  writer=$(cat "$WRITER_FILE" 2>/dev/null || echo "$writer")
  if [ -z "$writer" ]; then
    # Learn the writer once exactly one master is writable (a switchover makes the first one).
    if [ \${#writable[@]} -eq 1 ]; then writer=\${writable[0]}; echo "$writer" > "$WRITER_FILE"; fi
  elif [ "\${state[$writer]}" = down ]; then
    lost_ms=$(( now - \${down_since[$writer]} ))
    if [ $lost_ms -ge $DETECT_MS ]; then
      cand_io=
      for c in "\${CANDIDATES[@]}"; do [ "$c" != "$writer" ] && [ "\${state[$c]}" != down ] && { cand_io=$(slave_field "$c" "$writer" Slave_IO_Running); break; }; done
      if [ "$cand_io" != Yes ] || [ $lost_ms -ge $CONFIRM_MS ]; then failover "$writer"; fi
    fi
  elif [ "\${state[$writer]}" = ro ] && [ \${#writable[@]} -eq 1 ]; then
    writer=\${writable[0]}; echo "$writer" > "$WRITER_FILE"
  elif [ "\${state[$writer]}" = ro ] && [ \${#writable[@]} -eq 0 ]; then
    # The writer restarted (every master starts read-only) and no failover happened: it holds
    # everything it committed, so it is still the writer. Not at once: a switchover about to take
    # the lock may have fenced it.
    ro_since=\${ro_since:-$now}
    if [ $(( now - ro_since )) -ge $DETECT_MS ]; then
      act "$writer" 'SET GLOBAL read_only = OFF' && log "$writer came back read-only; it is still the writer (no failover happened), so it takes writes again"
    fi
  fi
  [ -n "$writer" ] && [ "\${state[$writer]}" = ro ] || ro_since=
  if [ -n "$writer" ] && [ "\${state[$writer]}" = rw ]; then
    for m in "\${writable[@]}"; do [ "$m" != "$writer" ] && fence "$m"; done
    for m in "\${MASTERS[@]}"; do
      [ "$m" != "$writer" ] || continue
      if [ -f "$STATE/detached.$m" ] || { [ -n "\${down_since[$m]}" ] && [ $(( now - \${down_since[$m]} )) -ge $DETECT_MS ]; }; then
        for replica in "\${REPLICAS[@]}"; do repoint "$replica" "$m"; done
      fi
    done
  fi
  [ "$writer" != "$known" ] && { log "the writer is \${writer:-not known}"; known=$writer; }
  sleep "$TICK"
done
`;
}

/**
 * The Galera monitor: one process per cluster, the only actor that moves replicas. It watches every
 * node, and when the node a replica follows is lost (not a synced member of the primary component)
 * for the detection budget, re-points the replica to the first synced node by GTID (with
 * wsrep_gtid_mode a transaction has the same GTID on every node). The writer endpoint needs no
 * actor: a node outside the primary component refuses writes by itself.
 */
export function renderGaleraMonitorScript(plan: TopologyPlan, addresses: { [hostName: string]: string }, options?: FailoverMonitorOptions): string {
  const o = resolveMonitorOptions(options);
  const list = (names: string[]) => names.map(shellQuote).join(' ');
  const addressList = Object.entries(addresses).map(([n, a]) => `[${shellQuote(n)}]=${shellQuote(a)}`).join(' ');
  return `#!/bin/bash
# Rendered by cdktf-mariadb-ha: the Galera monitor; do not edit.
set -u
NODES=(${list(plan.galera!.nodes)})
REPLICAS=(${list(plan.hosts.filter((h) => h.kind === HostKind.REPLICA).map((h) => h.name))})
declare -A ADDRESS=(${addressList})
DETECT_MS=${o.detectionMs}
TICK=${(o.probeIntervalMs / 1000).toFixed(3)}
STATE=${MONITOR_STATE_DIR}
LOCK=${MONITOR_LOCK_DIR}
SECRETS=${MONITOR_SECRETS_DIR}
mkdir -p "$STATE"

${sessionFunctions()}# synced (a member of the primary component, taking queries), donor (synced but for a state transfer
# it serves: still a fine source), other (answers, but is joining or cut off) or down (no answer).
probe() {
  local out
  if out=$(sql "$1" "${galeraStateQuery("'")}" 2>&1); then
    case "$out" in '${GALERA_SYNCED}') echo synced ;; '${GALERA_DONOR}') echo donor ;; *) echo other ;; esac
  elif [ -z "$out" ] || echo "$out" | grep -qE "ERROR (2002|2003|2005|2006|2013)"; then
    echo down
  else
    echo other
  fi
}

${lockFunctions()}${actFunction()}${repointFunction('target', changeMasterTo('target'))}# A node counts as lost only once it was seen synced: a cluster still forming loses no node.
declare -A state lost_since seen
log "monitoring \${NODES[*]} for the replicas \${REPLICAS[*]}; detection \${DETECT_MS} ms"
while true; do
  probes=()
  for n in "\${NODES[@]}"; do probe "$n" > "$STATE/probe.$n" & probes+=($!); done
  wait "\${probes[@]}"
  now=$(now_ms)
  target=
  for n in "\${NODES[@]}"; do
    state[$n]=$(cat "$STATE/probe.$n")
    if [ "\${state[$n]}" = synced ] || [ "\${state[$n]}" = donor ]; then
      lost_since[$n]=
      seen[$n]=yes
      [ "\${state[$n]}" = synced ] && [ -z "$target" ] && target=$n
    elif [ -n "\${seen[$n]:-}" ]; then
      lost_since[$n]=\${lost_since[$n]:-$now}
    fi
  done
  if [ -n "$target" ] && ! locked_by_other; then
    for n in "\${NODES[@]}"; do
      [ -n "\${lost_since[$n]:-}" ] && [ $(( now - \${lost_since[$n]} )) -ge $DETECT_MS ] || continue
      for replica in "\${REPLICAS[@]}"; do repoint "$replica" "$n"; done
    done
  fi
  sleep "$TICK"
done
`;
}
