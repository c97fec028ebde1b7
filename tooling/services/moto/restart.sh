#!/usr/bin/env bash
# Stop, then start moto again on the SAME port (state is lost).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/stop.sh"
bash "$here/start.sh"
