#!/usr/bin/env bash
# Stop the moto server recorded in $PHLOW_SERVICES_DIR/moto.env (no-op if none).
# moto.env is kept (with PHLOW_MOTO_PID emptied) so start.sh reuses the port.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/_env.sh"
svc_stop moto "$MOTO_ENV_FILE" PHLOW_MOTO
