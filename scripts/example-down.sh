#!/usr/bin/env bash
# Removes everything the example deployed (containers, volumes, network).
source "$(dirname "$0")/lib.sh"
cd "$PROJECT_ROOT"
[ -f "$STATE_DIR/toolchain.env" ] || "$PROJECT_ROOT/scripts/toolchain.sh"
source "$STATE_DIR/toolchain.env"
secrets="$STATE_DIR/example-secrets.env"
[ -f "$secrets" ] || die "no $secrets: nothing was deployed from this checkout"
set -a; source "$secrets"; set +a
# The whole cluster goes: its writer is not refused removal (see 'mariadb-ha leave').
MARIADB_HA_DESTROY_CLUSTER=shop npx --no-install cdktf destroy local-ha --auto-approve
