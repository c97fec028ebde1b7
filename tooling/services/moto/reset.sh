#!/usr/bin/env bash
# Wipe all moto state without restarting (POST /moto-api/reset).
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/_env.sh"
url="$(svc_env_get "$MOTO_ENV_FILE" PHLOW_MOTO_URL)"
[ -n "$url" ] || svc_die "no moto server recorded in $MOTO_ENV_FILE"
code="$(svc_http_code POST "$url/moto-api/reset")"
[ "$code" = 200 ] || svc_die "moto reset answered HTTP $code"
svc_log "moto state reset"
