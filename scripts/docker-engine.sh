#!/usr/bin/env bash
# Makes a Docker engine reachable: uses the one that runs, or starts Debian's dockerd and records its pid.
#   scripts/docker-engine.sh start   # idempotent
#   scripts/docker-engine.sh stop    # stops only a daemon this script started
source "$(dirname "$0")/lib.sh"

PID_FILE="$STATE_DIR/dockerd.pid"
DATA_ROOT="${MARIADB_HA_DOCKER_DATA_ROOT:-/var/lib/docker}"

engine_reachable() { timeout 10 docker info >/dev/null 2>&1; }

start() {
  if engine_reachable; then log "Docker engine reachable"; return 0; fi
  [ "$(id -u)" -eq 0 ] || die "no Docker engine reachable and not root; start Docker (or run this script as root)"
  ensure_debian_packages docker.io
  log "starting dockerd (log: $STATE_DIR/dockerd.log)"
  # No iptables on these hosts: published ports go through docker-proxy, and nothing is masqueraded.
  setsid dockerd --storage-driver=overlay2 --iptables=false --ip-masq=false --data-root="$DATA_ROOT" \
    --pidfile="$STATE_DIR/dockerd.daemon.pid" >"$STATE_DIR/dockerd.log" 2>&1 < /dev/null &
  echo $! >"$PID_FILE"
  for _ in $(seq 1 60); do
    engine_reachable && { log "Docker engine up (pid $(cat "$PID_FILE"))"; return 0; }
    kill -0 "$(cat "$PID_FILE")" 2>/dev/null || break
    sleep 0.5
  done
  tail -20 "$STATE_DIR/dockerd.log" >&2
  die "dockerd did not come up; see $STATE_DIR/dockerd.log"
}

stop() {
  [ -f "$PID_FILE" ] || { log "no dockerd started by this project"; return 0; }
  local pid; pid=$(cat "$PID_FILE")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping dockerd pid $pid"
    kill "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  rm -f "$PID_FILE"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 start|stop" ;;
esac
