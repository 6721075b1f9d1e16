#!/usr/bin/env bash
# The README's first command: deploys the example topology (examples/local-docker) to local Docker
# with `cdktf deploy`, then shows its replication status and proves a write reaches every host.
source "$(dirname "$0")/lib.sh"
cd "$PROJECT_ROOT"

"$PROJECT_ROOT/scripts/toolchain.sh"
source "$STATE_DIR/toolchain.env"

# Passwords are generated once per checkout and kept out of git; Terraform gets them as TF_VAR_*.
# An account added in a later version gets its password added to an existing file.
secrets="$STATE_DIR/example-secrets.env"
(umask 077; touch "$secrets")
for account in root replication monitor operator application; do
  grep -q "^TF_VAR_shop_${account}_password=" "$secrets" && continue
  echo "TF_VAR_shop_${account}_password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')" >>"$secrets"
  log "generated the $account password in $secrets"
done
set -a; source "$secrets"; set +a

# cdktf deploy runs `terraform providers lock` when the stack has no lock file, and that command
# ignores the CLI config's mirrors; `terraform init` writes the lock file from the mirrors first.
log "synthesizing the example and initializing its stack from the local provider mirrors"
npx --no-install cdktf synth >/dev/null
(cd "$PROJECT_ROOT/cdktf.out/stacks/local-ha" && terraform init -input=false -no-color >/dev/null)

log "deploying the example with cdktf deploy"
npx --no-install cdktf deploy local-ha --auto-approve --outputs-file "$STATE_DIR/example-outputs.json"

cli=(node "$PROJECT_ROOT/bin/mariadb-ha.js")
ref=(--cluster shop --stack-dir "$PROJECT_ROOT/cdktf.out/stacks/local-ha")
echo
"${cli[@]}" status "${ref[@]}" --wait 60
echo
"${cli[@]}" verify "${ref[@]}"
echo
# The password goes by environment (MYSQL_PWD), never on a command line where ps shows it.
echo "Writes go through the endpoint: (set -a; . $secrets; MYSQL_PWD=\"\$TF_VAR_shop_application_password\" mariadb -h 127.0.0.1 -P 23300 -u app shop)"
echo "Switch writes to db-b, one writer at a time: npm run example:switchover -- db-b (passwords: $secrets)"
echo "Tear down: npm run example:down"
