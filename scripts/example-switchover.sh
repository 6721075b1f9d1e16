#!/usr/bin/env bash
# Switches the example's writes to another master with `terraform apply -var shop_active_master=...`:
# the plan replaces one terraform_data, whose provisioner runs `mariadb-ha switchover`.
#   npm run example:switchover -- db-b
source "$(dirname "$0")/lib.sh"
cd "$PROJECT_ROOT"
target="${1:?usage: npm run example:switchover -- <db-a|db-b>}"
source "$STATE_DIR/toolchain.env"
secrets="$STATE_DIR/example-secrets.env"
[ -f "$secrets" ] || die "no $secrets: run npm run example:up first"
set -a; source "$secrets"; set +a
npx --no-install ts-node --transpile-only examples/local-docker/main.ts
cd cdktf.out/stacks/local-ha
terraform apply -input=false -auto-approve "-var=shop_active_master=$target"
