// The container entrypoint: initialise and bootstrap on first start, then run the server as PID 1.
// It only needs mariadb-install-db, mariadbd, mariadb and bash, so it serves the project's Debian
// image and the official `mariadb` image alike.
import { SERVER_SOCKET } from './server-config';

export const HA_DIR = '/etc/mysql/ha';
export const SERVER_CONFIG_PATH = `${HA_DIR}/server.cnf`;
export const BOOTSTRAP_SQL_PATH = `${HA_DIR}/bootstrap.sql`;
export const SECRETS_DIR = `${HA_DIR}/secrets`;
export const ENTRYPOINT_PATH = `${HA_DIR}/entrypoint.sh`;
export const DATA_DIR = '/var/lib/mysql';

export function renderEntrypoint(): string {
  return `#!/bin/bash
# Rendered by cdktf-mariadb-ha; do not edit.
set -euo pipefail
CONF=${SERVER_CONFIG_PATH}
DATADIR=${DATA_DIR}
DONE="$DATADIR/.mariadb-ha-bootstrapped"
BUSY="$DATADIR/.mariadb-ha-initialising"
BOOT_SOCKET=/run/mysqld/bootstrap.sock
say() { echo "[mariadb-ha] $*" >&2; }

mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld "$DATADIR"

if [ ! -f "$DONE" ]; then
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
  mariadb-install-db --defaults-extra-file="$CONF" --user=mysql --datadir="$DATADIR" \\
    --skip-test-db --auth-root-authentication-method=socket >/tmp/mariadb-install-db.log 2>&1 \\
    || { cat /tmp/mariadb-install-db.log >&2; exit 1; }
  # No networking, no binary log, no replication while the host sets itself up.
  mariadbd --defaults-extra-file="$CONF" --user=mysql --skip-networking --skip-log-bin \\
    --skip-slave-start --socket="$BOOT_SOCKET" &
  boot_pid=$!
  for _ in $(seq 1 120); do
    mariadb-admin --socket="$BOOT_SOCKET" --silent ping >/dev/null 2>&1 && break
    kill -0 "$boot_pid" 2>/dev/null || { say "bootstrap server exited"; exit 1; }
    sleep 0.5
  done
  {
    # Secrets reach SQL as base64, so no value can break out of its quotes.
    for secret in ${SECRETS_DIR}/*; do
      [ -f "$secret" ] || continue
      echo "SET @secret_$(basename "$secret") = FROM_BASE64('$(base64 -w0 <"$secret")');"
    done
    cat ${BOOTSTRAP_SQL_PATH}
  } | mariadb --socket="$BOOT_SOCKET" --user=root --batch
  mariadb-admin --socket="$BOOT_SOCKET" shutdown
  wait "$boot_pid" || true
  rm -f "$BUSY"
  touch "$DONE"
  say "bootstrap complete"
fi

# The bootstrap was their only reader.
rm -f ${SECRETS_DIR}/* 2>/dev/null || true
exec mariadbd --defaults-extra-file="$CONF" --user=mysql --socket=${SERVER_SOCKET} "$@"
`;
}
