#!/usr/bin/env bash
# Stop, then start vault again on the SAME port with the same root token and a
# fresh `phlow` mount. Dev mode: all data is lost; the unseal key changes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/stop.sh"
bash "$here/start.sh"
