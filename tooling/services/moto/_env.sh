# Sourced by the moto/*.sh scripts: loads helpers and locates moto.env.
# shellcheck shell=bash
# shellcheck source=../lib/common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../lib/common.sh"
svc_dir
MOTO_ENV_FILE="$PHLOW_SERVICES_DIR/moto.env"
