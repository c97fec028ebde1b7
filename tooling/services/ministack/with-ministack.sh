#!/usr/bin/env bash
# Usage: bash tooling/services/ministack/with-ministack.sh <command...>
#
# Runs <command> against a ministack server (AWS emulator whose KMS signs with Ed25519; moto's does not):
# installs it once (install.sh), starts it on a free 127.0.0.1 port with only KMS, exports AWS_ENDPOINT_URL_KMS,
# AWS_REGION and test credentials, runs the command, ALWAYS stops the server, and exits with its status.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

[ "$#" -gt 0 ] || { echo "usage: bash tooling/services/ministack/with-ministack.sh <command...>" >&2; exit 2; }

venv="$(bash "$here/install.sh")"
dir="$(mktemp -d "${TMPDIR:-/tmp}/phlow-ministack.XXXXXX")"
port="$(svc_free_port)"
GATEWAY_PORT="$port" BIND_HOST=127.0.0.1 SERVICES=kms IOT_MTLS_ENABLED=false LOG_LEVEL=WARNING \
  "$venv/bin/ministack" >"$dir/ministack.log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 300); do
  [ "$(svc_http_code GET "http://127.0.0.1:$port/_ministack/health")" = 200 ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/ministack.log" >&2; svc_die "ministack exited"; }
  sleep 0.1
done
[ "$(svc_http_code GET "http://127.0.0.1:$port/_ministack/health")" = 200 ] || svc_die "ministack did not answer on port $port"
svc_log "ministack up at http://127.0.0.1:$port (pid $pid)"

export AWS_ENDPOINT_URL_KMS="http://127.0.0.1:$port" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true
set +e
"$@"
status=$?
set -e
exit "$status"
