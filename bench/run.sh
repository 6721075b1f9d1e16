#!/usr/bin/env bash
# Runs the benchmarks and prints their figures: synth (no Docker needed) and deploy (local Docker).
#   bash bench/run.sh            # all
#   bash bench/run.sh synth      # one of: synth cli aws deploy failover seeding writers galera checks
#   bash bench/run.sh suite      # the last jest run's timing table; `suite fast` times test:fast
#   bash bench/run.sh cpu -- CMD # how busy the cores are while CMD runs (e.g. cpu -- npm test)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# The benchmarks run compiled (dist/); their stacks' provisioners run this checkout's CLI.
export MARIADB_HA_CLI="$root/bin/mariadb-ha.js"
npx --no-install tsc -p tsconfig.json
case "${1:-all}" in
  synth) node dist/bench/synth.js ;;
  suite) node dist/bench/suite.js "${2:-}" ;;
  cli) node dist/bench/cli-start.js ;;
  cpu) shift; [ "${1:-}" = "--" ] && shift; node dist/bench/cpu-busy.js -- "$@" ;;
  aws) scripts/toolchain.sh && source .local/toolchain.env && node dist/bench/aws-plan.js ;;
  deploy) scripts/toolchain.sh && source .local/toolchain.env && node dist/bench/deploy.js ;;
  failover) scripts/toolchain.sh && source .local/toolchain.env && node dist/bench/failover.js ;;
  seeding) scripts/toolchain.sh && source .local/toolchain.env && node dist/bench/seeding.js ;;
  writers) scripts/toolchain.sh && source .local/toolchain.env && node dist/bench/writers.js ;;
  galera) scripts/toolchain.sh && source .local/toolchain.env && node dist/bench/galera.js ;;
  checks) scripts/toolchain.sh && node dist/bench/endpoint-checks.js ;;
  all)
    node dist/bench/synth.js
    node dist/bench/cli-start.js
    scripts/toolchain.sh && source .local/toolchain.env
    node dist/bench/aws-plan.js
    node dist/bench/deploy.js
    node dist/bench/failover.js
    node dist/bench/seeding.js
    node dist/bench/writers.js
    node dist/bench/galera.js
    node dist/bench/endpoint-checks.js
    ;;
  *) echo "usage: $0 [synth|suite [fast]|aws|deploy|failover|seeding|writers|galera|checks|all]" >&2; exit 2 ;;
esac
