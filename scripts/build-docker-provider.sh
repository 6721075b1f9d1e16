#!/usr/bin/env bash
# Builds the kreuzwerker/docker Terraform provider from the Go module proxy into an unpacked
# filesystem mirror (the same route serves air-gapped users). Prints the mirror's root.
#
# First choice is v3.6.2, the version @cdktf/provider-docker 12.0.3 was generated from. Some
# module proxies refuse its module path (github.com/terraform-providers/terraform-provider-docker);
# then the newest snapshot the proxy serves under github.com/kreuzwerker/terraform-provider-docker
# is built instead (4.6.0 plus later main commits). The only v3->v4 schema change is the removal of
# docker_network.check_duplicate, which this library never sets; its tests prove the rest.
source "$(dirname "$0")/lib.sh"

MIRROR="$CACHE_DIR/terraform-mirror"
V3_MODULE=github.com/terraform-providers/terraform-provider-docker
V3_COMMIT=2f20f8c3ce8290fcd03d96e69c7bc6338897a479
V3_VERSION=3.6.2
V4_MODULE=github.com/kreuzwerker/terraform-provider-docker
V4_PSEUDO=v0.0.0-20260916201441-96d331c98ff4
V4_VERSION=4.6.0

provider_path() { echo "$MIRROR/registry.terraform.io/kreuzwerker/docker/$1/linux_amd64/terraform-provider-docker_v$1"; }

for v in "$V3_VERSION" "$V4_VERSION"; do
  if [ -x "$(provider_path "$v")" ]; then echo "$MIRROR"; exit 0; fi
done

command -v go >/dev/null 2>&1 || die "Go is needed to build the Docker provider offline; install golang (Debian: apt-get install golang) or put a Go >= 1.22 on PATH"
work="$CACHE_DIR/build-docker-provider"
mkdir -p "$work/bin"

log "building kreuzwerker/docker $V3_VERSION from $V3_MODULE@$V3_COMMIT (log: $STATE_DIR/go-build.log)"
if GOBIN="$work/bin" go install "$V3_MODULE@$V3_COMMIT" >"$STATE_DIR/go-build.log" 2>&1; then
  version=$V3_VERSION
else
  log "the Go module proxy refused $V3_MODULE ($(grep -m1 -o '[0-9]\{3\} [A-Za-z ]*' "$STATE_DIR/go-build.log" || echo 'see log'))"
  log "building the kreuzwerker snapshot $V4_MODULE@$V4_PSEUDO as $V4_VERSION instead (about 4 minutes on 2 cores)"
  src=$(go mod download -json "$V4_MODULE@$V4_PSEUDO" 2>>"$STATE_DIR/go-build.log" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -n "$src" ] && [ -d "$src" ] || die "could not download $V4_MODULE@$V4_PSEUDO from the Go module proxy; see $STATE_DIR/go-build.log"
  (cd "$src" && go build -trimpath -o "$work/bin/terraform-provider-docker" .) >>"$STATE_DIR/go-build.log" 2>&1 \
    || die "go build of the Docker provider failed; see $STATE_DIR/go-build.log"
  version=$V4_VERSION
fi

target=$(provider_path "$version")
mkdir -p "$(dirname "$target")"
install -m 0755 "$work/bin/terraform-provider-docker" "$target"
log "kreuzwerker/docker $version placed in $MIRROR"
echo "$MIRROR"
