#!/usr/bin/env bash
# The README's first command: deploys the example topology (examples/local-docker) to local Docker
# with `cdktf deploy`, then shows its replication status and proves a write reaches every host.
source "$(dirname "$0")/lib.sh"
cd "$PROJECT_ROOT"

"$PROJECT_ROOT/scripts/toolchain.sh"
source "$STATE_DIR/toolchain.env"

# Passwords are generated once per checkout and kept out of git; Terraform gets them as TF_VAR_*.
secrets="$STATE_DIR/example-secrets.env"
if [ ! -f "$secrets" ]; then
  (umask 077
   for account in root replication monitor application; do
     echo "TF_VAR_shop_${account}_password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
   done >"$secrets")
  log "generated passwords in $secrets"
fi
set -a; source "$secrets"; set +a

log "deploying the example with cdktf deploy"
npx --no-install cdktf deploy local-ha --auto-approve --outputs-file "$STATE_DIR/example-outputs.json"

cli=(node "$PROJECT_ROOT/bin/mariadb-ha.js")
ref=(--cluster shop --stack-dir "$PROJECT_ROOT/cdktf.out/stacks/local-ha")
echo
"${cli[@]}" status "${ref[@]}" --wait 60
echo
"${cli[@]}" verify "${ref[@]}"
echo
echo "Writes go through the endpoint: mariadb -h 127.0.0.1 -P 23300 -u app -p\"\$TF_VAR_shop_application_password\" shop"
echo "Switch writes to db-b with no read-only window: npm run example:switchover -- db-b (passwords: $secrets)"
echo "Tear down: npm run example:down"
