#!/usr/bin/env bash
# Makes the images the constructs default to exist in the local engine, offline.
# An image already built from the same recipe (its label says which) is left alone; nothing is
# pulled (these tags are the project's own and are published nowhere). Otherwise a Debian rootfs
# (bookworm, or trixie for MariaDB 11.8) is made with mmdebstrap from Debian's packages, cached by
# recipe, and imported with `docker import`, replacing an image of an older recipe.
#   scripts/build-images.sh            # every image
#   scripts/build-images.sh mariadb    # one of: mariadb mariadb-11.8 haproxy
source "$(dirname "$0")/lib.sh"

MARIADB_IMAGE="${MARIADB_HA_MARIADB_IMAGE:-cdktf-mariadb-ha/mariadb:10.11-bookworm}"
# Debian 13's MariaDB LTS: the target of a rolling upgrade from 10.11.
MARIADB_11_8_IMAGE="${MARIADB_HA_MARIADB_11_8_IMAGE:-cdktf-mariadb-ha/mariadb:11.8-trixie}"
HAPROXY_IMAGE="${MARIADB_HA_HAPROXY_IMAGE:-cdktf-mariadb-ha/haproxy:2.6-bookworm}"
# socat, rsync and pv serve Galera state transfers, galera-arbitrator-4 is garbd; iproute2 and procps
# serve operators and keepalived; nodejs runs the failover monitor (mariadb-ha monitor) in the endpoint image.
MARIADB_PACKAGES="mariadb-server,mariadb-client,mariadb-backup,galera-4,galera-arbitrator-4,rsync,socat,pv,procps,iproute2"
HAPROXY_PACKAGES="haproxy,keepalived,mariadb-client,iproute2,procps,socat,nodejs"

build() {
  local suite="$1" image="$2" packages="$3" cleanup="$4"
  local key tarball partial
  key=$(printf '%s|%s|%s' "$suite" "$packages" "$cleanup" | sha256sum | cut -c1-16)
  if [ "$(docker image inspect --format '{{ index .Config.Labels "cdktf-mariadb-ha.recipe" }}' "$image" 2>/dev/null)" = "$key" ]; then
    log "$image present"; return 0
  fi
  tarball="$CACHE_DIR/images/${image//[\/:]/_}-$key.tar"
  partial="${tarball%.tar}.partial.tar" # mmdebstrap picks its output format from the extension
  mkdir -p "$CACHE_DIR/images"
  if [ ! -s "$tarball" ]; then
    ensure_debian_packages mmdebstrap
    log "building $image rootfs with mmdebstrap (about a minute; log: $STATE_DIR/mmdebstrap.log)"
    mmdebstrap --variant=apt --include="$packages" \
      --customize-hook="chroot \"\$1\" sh -c '$cleanup'" \
      --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/usr/share/doc/* "$1"/usr/share/man/*' \
      "$suite" "$partial" >"$STATE_DIR/mmdebstrap.log" 2>&1 \
      || { rm -rf "$partial"; die "mmdebstrap failed; see $STATE_DIR/mmdebstrap.log"; }
    mv "$partial" "$tarball"
  fi
  log "importing $image"
  docker import --change 'ENV LANG=C.UTF-8' --change "LABEL cdktf-mariadb-ha.recipe=$key" "$tarball" "$image" >/dev/null
}

# Debian's postinst initialises a datadir; the constructs bootstrap their own, so the image ships none.
MARIADB_CLEANUP='rm -rf /var/lib/mysql/* && mkdir -p /run/mysqld && chown mysql:mysql /var/lib/mysql /run/mysqld'
HAPROXY_CLEANUP='true'

case "${1:-all}" in
  mariadb) build bookworm "$MARIADB_IMAGE" "$MARIADB_PACKAGES" "$MARIADB_CLEANUP" ;;
  mariadb-11.8) build trixie "$MARIADB_11_8_IMAGE" "$MARIADB_PACKAGES" "$MARIADB_CLEANUP" ;;
  haproxy) build bookworm "$HAPROXY_IMAGE" "$HAPROXY_PACKAGES" "$HAPROXY_CLEANUP" ;;
  all)
    build bookworm "$MARIADB_IMAGE" "$MARIADB_PACKAGES" "$MARIADB_CLEANUP"
    build trixie "$MARIADB_11_8_IMAGE" "$MARIADB_PACKAGES" "$MARIADB_CLEANUP"
    build bookworm "$HAPROXY_IMAGE" "$HAPROXY_PACKAGES" "$HAPROXY_CLEANUP"
    ;;
  *) die "usage: $0 [mariadb|mariadb-11.8|haproxy|all]" ;;
esac
