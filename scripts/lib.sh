# Shared settings for the project's toolchain scripts; source it, do not run it.
# Everything heavy is cached per user and keyed by version, so a second run costs seconds.
set -euo pipefail

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${MARIADB_HA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/cdktf-mariadb-ha}"
STATE_DIR="${MARIADB_HA_STATE_DIR:-$PROJECT_ROOT/.local}"
mkdir -p "$CACHE_DIR" "$STATE_DIR"
# The state dir holds generated passwords and Terraform state (secrets in plain text): owner only.
chmod 700 "$STATE_DIR"
# Provisioners in the synthesized stack run this checkout's CLI (installed, the package is found by name).
export MARIADB_HA_CLI="$PROJECT_ROOT/bin/mariadb-ha.js"

log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$(basename "$0" .sh)" "$*" >&2; exit 1; }

# Installs Debian packages that are missing; only root can, everyone else is told what to run.
ensure_debian_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}"
  log "installing Debian packages: ${missing[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >"$STATE_DIR/apt.log" 2>&1; then
    apt-get update >>"$STATE_DIR/apt.log" 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >>"$STATE_DIR/apt.log" 2>&1 \
      || die "apt-get install failed; see $STATE_DIR/apt.log"
  fi
}
