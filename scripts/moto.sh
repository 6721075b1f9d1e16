#!/usr/bin/env bash
# moto's server mode (a local AWS API emulator) and boto3, in a virtualenv under the per-user
# cache, keyed by version; prints the virtualenv's python.
source "$(dirname "$0")/lib.sh"
version=5.2.5
venv="$CACHE_DIR/moto-$version"
if [ ! -x "$venv/bin/moto_server" ]; then
  command -v python3 >/dev/null 2>&1 || die "python3 is not on PATH; install Python 3.9 or later and run again"
  rm -rf "$venv"
  python3 -m venv "$venv" >&2 || die "could not create a virtualenv at $venv (install python3-venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$version" >&2 \
    || die "could not install moto[server]==$version from PyPI into $venv"
fi
echo "$venv/bin/python"
