#!/usr/bin/env bash
# Synthesizes the Python example (examples/local-docker-python) against this checkout: builds the
# library with jsii and its Python wheel with jsii-pacmak, installs the wheel and the pinned
# requirements into a virtual environment under .local/, and runs the example.
#   bash scripts/python-example.sh [outdir]     # default cdktf.out, like `cdktf synth`
source "$(dirname "$0")/lib.sh"
cd "$PROJECT_ROOT"
outdir="${1:-cdktf.out}"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=1

command -v python3 >/dev/null || die "python3 (3.9 or later, with its venv module) is needed for the Python example"
log "building the library (jsii) and its Python wheel (jsii-pacmak)"
npm run --silent build >"$STATE_DIR/jsii.log" 2>&1 || die "jsii failed; see $STATE_DIR/jsii.log"
rm -rf dist/python
npm run --silent package:python >"$STATE_DIR/pacmak.log" 2>&1 || die "jsii-pacmak failed; see $STATE_DIR/pacmak.log"

venv="$STATE_DIR/python-example"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
pip=("$venv/bin/pip" install --quiet --disable-pip-version-check)
log "installing the wheel and examples/local-docker-python/requirements.txt into $venv"
"${pip[@]}" -r examples/local-docker-python/requirements.txt || die "pip could not install the pinned requirements"
"${pip[@]}" --force-reinstall --no-deps dist/python/*.whl

log "synthesizing examples/local-docker-python into $outdir"
CDKTF_OUTDIR="$outdir" "$venv/bin/python" examples/local-docker-python/main.py
