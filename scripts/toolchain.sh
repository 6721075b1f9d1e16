#!/usr/bin/env bash
# Everything the live tests and the example need, installed and started by the project itself:
# Terraform CLI check, Docker engine, images, the Docker provider mirror, and a Terraform CLI
# config that uses the mirrors. Writes $STATE_DIR/toolchain.env for other scripts and jest.
source "$(dirname "$0")/lib.sh"
here="$(dirname "$0")"

command -v terraform >/dev/null 2>&1 \
  || die "terraform is not on PATH; install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install) and run again"

docker_mirror=$("$here/build-docker-provider.sh")
"$here/docker-engine.sh" start
"$here/build-images.sh" all
moto_python=$("$here/moto.sh")

# The machine image may carry a mirror for hashicorp/aws (the version @cdktf/provider-aws pins).
aws_mirror="${MARIADB_HA_AWS_MIRROR:-}"
if [ -z "$aws_mirror" ]; then
  aws_bin=$(find /opt /usr/share /usr/local/share "$HOME" -xdev -path '*registry.terraform.io/hashicorp/aws/*' -name 'terraform-provider-aws_*' 2>/dev/null | head -1 || true)
  [ -n "$aws_bin" ] && aws_mirror="${aws_bin%%/registry.terraform.io/*}"
fi

rc="$STATE_DIR/terraformrc"
{
  echo "# written by scripts/toolchain.sh: providers come from local mirrors, others from the registry"
  echo "plugin_cache_dir = \"$CACHE_DIR/terraform-plugin-cache\""
  echo "disable_checkpoint = true"
  echo "provider_installation {"
  echo "  filesystem_mirror {"
  echo "    path    = \"$docker_mirror\""
  echo "    include = [\"registry.terraform.io/kreuzwerker/docker\"]"
  echo "  }"
  if [ -n "$aws_mirror" ]; then
    echo "  filesystem_mirror {"
    echo "    path    = \"$aws_mirror\""
    echo "    include = [\"registry.terraform.io/hashicorp/aws\"]"
    echo "  }"
  fi
  echo "  direct {"
  echo "    exclude = [\"registry.terraform.io/kreuzwerker/docker\"$( [ -n "$aws_mirror" ] && echo ', "registry.terraform.io/hashicorp/aws"')]"
  echo "  }"
  echo "}"
} >"$rc"
mkdir -p "$CACHE_DIR/terraform-plugin-cache"

cat >"$STATE_DIR/toolchain.env" <<ENV
export TF_CLI_CONFIG_FILE="$rc"
export CHECKPOINT_DISABLE=1
export MARIADB_HA_MOTO_PYTHON="$moto_python"
export MARIADB_HA_AWS_MIRROR="$aws_mirror"
export DOCKER_API_VERSION="\${DOCKER_API_VERSION:-$(docker version --format '{{.Server.APIVersion}}')}"
ENV
log "ready: source $STATE_DIR/toolchain.env"
