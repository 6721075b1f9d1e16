// The container entrypoint: initialise and bootstrap on first start, then run the server as PID 1.
// It only needs mariadb-install-db, mariadbd, mariadb and bash, so it serves the project's Debian
// image and the official `mariadb` image alike.
import { OPERATOR_USER } from '../model/accounts';
import { MARIADB_PORT, SERVER_SOCKET } from './server-config';
import { restartHistoryAt } from './statements';

export const HA_DIR = '/etc/mysql/ha';
export const SERVER_CONFIG_PATH = `${HA_DIR}/server.cnf`;
export const BOOTSTRAP_SQL_PATH = `${HA_DIR}/bootstrap.sql`;
export const SECRETS_DIR = `${HA_DIR}/secrets`;
export const ENTRYPOINT_PATH = `${HA_DIR}/entrypoint.sh`;
export const DATA_DIR = '/var/lib/mysql';
/** In a data volume seeded from a running host (`mariadb-ha seed`): the copy's GTID position. */
export const SEED_MARKER = '.mariadb-ha-seed';
/** A writable master copied into a running cluster stays read-only until `mariadb-ha writers` has moved every writer's keys. */
export const JOINING_MARKER = '.mariadb-ha-joining';
/** In a replication host's data volume: the MariaDB series (`major.minor`) that last ran on the data. */
export const SERIES_RECORD = '.mariadb-ha-series';
/** The entrypoint's exit status when the data was last run by a newer series than the image's server. */
export const DOWNGRADE_REFUSED_STATUS = 66;
/**
 * In a Galera node's data volume: start a new cluster from this node (`--wsrep-new-cluster`). The
 * cluster's creation writes it into the first node's new volume, `mariadb-ha recover` into the most
 * advanced node's; the entrypoint removes it as it starts the server.
 */
export const NEW_CLUSTER_MARKER = '.mariadb-ha-new-cluster';

/**
 * Where a Galera node that finds no running peer waits, with its data read-only, for a running peer
 * or for the monitor's decision: a server without Galera on this port (never the clients' port, so
 * no client and no peer takes it for a member), showing its last committed position as
 * `@@wsrep_start_position`.
 */
export const GALERA_WAITING_PORT = 3307;
/** The user lock the operator account holds on a waiting node to restart the cluster from it. */
export const GALERA_BOOTSTRAP_LOCK = 'mariadb_ha_bootstrap';

export interface EntrypointOptions {
  /**
   * A Galera node: it bootstraps only when its volume holds the new-cluster marker, and otherwise
   * joins the cluster, receiving its data by state transfer on the first start.
   * @default false
   */
  readonly galeraNode?: boolean;
}

/** Creates the system tables in the empty data directory, root by unix socket only. */
const INSTALL_DB = `mariadb-install-db --defaults-extra-file="$CONF" --user=mysql --datadir="$DATADIR" \\
    --skip-test-db --auth-root-authentication-method=socket >/tmp/mariadb-install-db.log 2>&1 \\
    || { cat /tmp/mariadb-install-db.log >&2; exit 1; }`;

/**
 * Bash, after the bootstrap: a server of a newer series than the data's upgrades its system tables
 * (mariadb-upgrade, not binlogged, before any client or replica connects); an older one refuses the
 * data, which it may not read.
 */
const SERIES_CHECK = `data_series=$(cat "$SERIES" 2>/dev/null || true)
if [ -n "$data_series" ] && [ "$data_series" != "$server_series" ] && [ "$(printf '%s\\n%s\\n' "$data_series" "$server_series" | sort -V | tail -n 1)" = "$data_series" ]; then
  say "this data was last run by MariaDB $data_series and this server is $server_series: a downgrade is refused (an older server may not read it)."
  say "Declare mariadbVersion $data_series or newer for this host again; to go back, restore a backup taken before the upgrade."
  exit ${DOWNGRADE_REFUSED_STATUS}
fi
if [ "$data_series" != "$server_series" ]; then
  say "upgrading the system tables to MariaDB $server_series (data last run by: $data_series)"
  boot_start
  mariadb-upgrade --socket="$BOOT_SOCKET" --user=root >/tmp/mariadb-upgrade.log 2>&1 || { cat /tmp/mariadb-upgrade.log >&2; boot_stop; exit 1; }
  boot_stop
  echo "$server_series" >"$SERIES"
fi
`;

/** A Galera node's first start and bootstrap decisions (bash, before the server starts). */
function galeraStart(): string {
  return `NEW_CLUSTER="$DATADIR/${NEW_CLUSTER_MARKER}"
new_cluster=
# A node's data came by state transfer (which removes other files) when it holds grastate.dat.
if [ -f "$NEW_CLUSTER" ] && [ ! -f "$DONE" ] && [ ! -f "$DATADIR/grastate.dat" ]; then
  # The cluster is being created: this node starts it, with its accounts, before any peer joins.
  [ -f "$BUSY" ] && { say "removing an interrupted initialisation"; find "$DATADIR" -mindepth 1 ! -name "${NEW_CLUSTER_MARKER}" -delete; }
  [ -z "$(ls -A "$DATADIR" | grep -v "^${NEW_CLUSTER_MARKER}\$")" ] || { say "$DATADIR holds data this tool did not bootstrap; refusing to start a cluster on it."; exit 64; }
  touch "$BUSY"
  say "initialising $DATADIR for a new Galera cluster"
  ${INSTALL_DB}
  # Neither Galera nor the binary log: per-host setup; the joiners receive it by state transfer.
  boot_start --skip-log-bin --wsrep-on=OFF --wsrep-provider=none
  boot_sql
  boot_stop
  rm -f "$BUSY"
  touch "$DONE"
  new_cluster=--wsrep-new-cluster
elif [ -f "$NEW_CLUSTER" ]; then
  # Chosen by 'mariadb-ha recover' as the most advanced node after every node was lost.
  continue_history "$(cat "$NEW_CLUSTER")"
elif [ ! -f "$DONE" ] && [ ! -f "$DATADIR/grastate.dat" ]; then
  # A new member: it receives its data by state transfer from a running node.
  [ -z "$(ls -A "$DATADIR")" ] || { say "$DATADIR holds data this tool did not bootstrap; refusing to join with it."; say "Attach an empty volume, or create $DONE if this data is meant for this node."; exit 64; }
  say "joining the Galera cluster: the data comes by state transfer from a running node"
fi
rm -f "$NEW_CLUSTER"
touch "$DONE"
start_position=
if [ -z "$new_cluster" ] && [ -f "$DATADIR/grastate.dat" ]; then
  position=$(last_position)
  # After a crash the provider learns the position from us (as from mysqld_safe), so the node
  # rejoins by an incremental transfer from a peer's cache, not a full copy.
  if grep -qE '^seqno:[[:space:]]+-1' "$DATADIR/grastate.dat" && echo "$position" | grep -qE "$POSITION"; then
    start_position="--wsrep-start-position=$position"
  fi
  peer_runs || wait_for_cluster "$position"
fi
`;
}

/**
 * Bash: `last_position` prints a Galera node's last committed position (uuid:seqno[,gtid]):
 * grastate.dat's after a clean stop, InnoDB's recovery after a crash (which leaves seqno -1 there).
 * Needs DATADIR and CONF; shared by the entrypoint and `mariadb-ha recover`.
 */
export const LAST_POSITION = `last_position() {
  if grep -qE '^seqno:[[:space:]]+-1' "$DATADIR/grastate.dat"; then
    # No networking: the recovery run listens like a server, and a peer would take it for a running one and join it.
    mariadbd --defaults-extra-file="$CONF" --user=mysql --wsrep-recover --skip-networking --socket=/tmp/wsrep-recover.sock --log-error=/tmp/wsrep-recover.log >/dev/null 2>&1 || true
    sed -n 's/.*WSREP: Recovered position: *//p' /tmp/wsrep-recover.log | tail -n 1
  else
    echo "$(sed -n 's/^uuid:[[:space:]]*//p' "$DATADIR/grastate.dat"):$(sed -n 's/^seqno:[[:space:]]*//p' "$DATADIR/grastate.dat")"
  fi
}`;

/** Bash functions of a Galera node's start: its position, its peers, and waiting for either. */
function galeraFunctions(): string {
  return `POSITION='^[0-9a-f-]{36}:-?[0-9]+'
# The cluster's history continues from this node, at the position given (uuid:seqno[,gtid]).
continue_history() {
  if echo "$1" | grep -qE "$POSITION"; then
    uuid=$(echo "$1" | cut -d: -f1)
    seqno=$(echo "$1" | cut -d: -f2 | cut -d, -f1)
    sed -i -e "s/^uuid:.*/uuid:    $uuid/" -e "s/^seqno:.*/seqno:   $seqno/" "$DATADIR/grastate.dat"
  fi
  sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$DATADIR/grastate.dat"
  say "restarting the cluster from this node's state: $(grep -E '^(uuid|seqno)' "$DATADIR/grastate.dat" | tr '\\n' ' ')"
  new_cluster=--wsrep-new-cluster
  start_position=
}
${LAST_POSITION}
# A peer takes clients: it is a member of a running cluster this node can join.
peer_runs() {
  self=$(sed -n 's/^wsrep_node_address = //p' "$CONF")
  for peer in $(sed -n 's|^wsrep_cluster_address = gcomm://||p' "$CONF" | tr ',' ' '); do
    [ "$peer" = "$self" ] && continue
    timeout 1 bash -c "exec 3<>/dev/tcp/$peer/${MARIADB_PORT}" 2>/dev/null && { running_peer=$peer; return 0; }
  done
  return 1
}
# No peer runs: every node was lost. Wait, read-only and out of the cluster, until a peer runs (join
# it) or the monitor, holding the bootstrap lock as the operator account, chose this node.
wait_for_cluster() {
  say "no peer runs: waiting at position $1 for a running peer, or for the monitor to restart the cluster from this node"
  # Unquoted below: with no position known it adds no argument.
  shown=
  [ -n "$1" ] && shown="--wsrep-start-position=$1"
  mariadbd --defaults-extra-file="$CONF" --user=mysql --wsrep-on=OFF --wsrep-provider=none --skip-slave-start \\
    --event-scheduler=OFF --read-only=ON --port=${GALERA_WAITING_PORT} --socket="$BOOT_SOCKET" $shown &
  boot_pid=$!
  trap 'boot_stop; exit 143' TERM INT
  while :; do
    kill -0 "$boot_pid" 2>/dev/null || { say "the waiting server exited"; exit 1; }
    if peer_runs; then say "a peer runs ($running_peer): joining it"; break; fi
    holder=$(mariadb --socket="$BOOT_SOCKET" --batch --skip-column-names \\
      -e "SELECT USER FROM information_schema.PROCESSLIST WHERE ID = IS_USED_LOCK('${GALERA_BOOTSTRAP_LOCK}')" 2>/dev/null || true)
    if [ "$holder" = "${OPERATOR_USER}" ]; then say "chosen by the monitor as the most advanced node"; continue_history "$1"; break; fi
    sleep 0.5
  done
  boot_stop
  trap - TERM INT
}
`;
}

export function renderEntrypoint(options: EntrypointOptions = {}): string {
  return `#!/bin/bash
# Rendered by cdktf-mariadb-ha; do not edit.
set -euo pipefail
CONF=${SERVER_CONFIG_PATH}
DATADIR=${DATA_DIR}
DONE="$DATADIR/.mariadb-ha-bootstrapped"
BUSY="$DATADIR/.mariadb-ha-initialising"
SEED="$DATADIR/${SEED_MARKER}"
JOINING="$DATADIR/${JOINING_MARKER}"
SERIES="$DATADIR/${SERIES_RECORD}"
BOOT_SOCKET=/run/mysqld/bootstrap.sock
say() { echo "[mariadb-ha] $*" >&2; }

mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld "$DATADIR"
# Data last run by another image may belong to another uid (mysql is 100 on Debian 12, 101 on 13).
find "$DATADIR" \\( ! -user mysql -o ! -group mysql \\) -exec chown -h mysql:mysql {} +
server_series=$(mariadbd --version | sed -nE 's/.* Ver ([0-9]+[.][0-9]+).*/\\1/p')

# A server only this script reaches: no networking, no replication while the host sets itself up.
boot_start() {
  mariadbd --defaults-extra-file="$CONF" --user=mysql --skip-networking --skip-slave-start --socket="$BOOT_SOCKET" "$@" &
  boot_pid=$!
  for _ in $(seq 1 120); do
    mariadb-admin --socket="$BOOT_SOCKET" --silent ping >/dev/null 2>&1 && return 0
    kill -0 "$boot_pid" 2>/dev/null || { say "bootstrap server exited"; exit 1; }
    sleep 0.5
  done
  say "bootstrap server did not answer"; exit 1
}
# The host's bootstrap SQL after the given statements; secrets reach SQL as base64, so no value can break out of its quotes.
boot_sql() {
  {
    printf '%s\\n' "$@"
    for secret in ${SECRETS_DIR}/*; do
      [ -f "$secret" ] || continue
      echo "SET @secret_$(basename "$secret") = FROM_BASE64('$(base64 -w0 <"$secret")');"
    done
    cat ${BOOTSTRAP_SQL_PATH}
  } | mariadb --socket="$BOOT_SOCKET" --user=root --batch
}
boot_stop() {
  mariadb-admin --socket="$BOOT_SOCKET" shutdown
  wait "$boot_pid" || true
}

${options.galeraNode ? `${galeraFunctions()}${galeraStart()}` : ''}if [ -f "$SEED" ]; then
  # A copy of a running host: its binary log and replication start at the copy's position.
  position=$(cat "$SEED")
  [[ "$position" =~ ^[0-9,-]*$ ]] || { say "$SEED holds '$position', not a GTID position"; exit 65; }
  say "finishing a copy of a running host at GTID position '$position'"
  boot_start
  boot_sql ${restartHistoryAt('$position').map((statement) => `"${statement};"`).join(' ')}
  boot_stop
  rm -f "$SEED"
  if grep -q '^read_only = OFF' "$CONF"; then touch "$JOINING"; fi
  touch "$DONE"
  say "seeded bootstrap complete"
elif [ ! -f "$DONE" ]; then
  if [ -f "$BUSY" ]; then
    # Our own initialisation was interrupted; the server never took connections, so nothing is lost.
    say "removing an interrupted initialisation"
    find "$DATADIR" -mindepth 1 -delete
  elif [ -n "$(ls -A "$DATADIR")" ]; then
    say "$DATADIR holds data this tool did not bootstrap; refusing to touch it."
    say "Attach an empty volume, or create $DONE if this data is meant for this host."
    exit 64
  fi
  touch "$BUSY"
  say "initialising $DATADIR"
  ${INSTALL_DB}
  # No binary log either: per-host setup must not replicate.
  boot_start --skip-log-bin
  boot_sql
  boot_stop
  rm -f "$BUSY"
  touch "$DONE"
  echo "$server_series" >"$SERIES"
  say "bootstrap complete"
fi
${options.galeraNode ? '' : SERIES_CHECK}
# The bootstrap was their only reader.
rm -f ${SECRETS_DIR}/* 2>/dev/null || true
# Unquoted on purpose: empty, it adds no argument (and no brace expansion, which Terraform would read as its own).
fence=
if [ -f "$JOINING" ]; then fence=--read-only=ON; say "joining a running cluster: read-only until its writers are rolled out"; fi
exec mariadbd --defaults-extra-file="$CONF" --user=mysql --socket=${SERVER_SOCKET} $fence${options.galeraNode ? ' $new_cluster $start_position' : ''} "$@"
`;
}
