#!/usr/bin/env bash
# Start a real moto server (AWS emulator) on 127.0.0.1 and write
# $PHLOW_SERVICES_DIR/moto.env.
# Port: the one already recorded in moto.env (so a stop + start keeps the same
# endpoint), else $PHLOW_MOTO_PORT, else a free port.
# moto keeps state in memory: a stop + start comes back EMPTY.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/_env.sh"

old_pid="$(svc_env_get "$MOTO_ENV_FILE" PHLOW_MOTO_PID)"
if svc_alive "$old_pid"; then
  svc_log "moto already running (pid $old_pid) at $(svc_env_get "$MOTO_ENV_FILE" PHLOW_MOTO_URL)"
  exit 0
fi

venv="$(bash "$PHLOW_SERVICES_HOME/moto/install.sh")"
fixed_port="$(svc_env_get "$MOTO_ENV_FILE" PHLOW_MOTO_PORT)"
fixed_port="${fixed_port:-${PHLOW_MOTO_PORT:-}}"
log="$PHLOW_SERVICES_DIR/moto.log"
touch "$log"

SECONDS=0
# Up to 3 attempts: a freshly picked free port can be taken before moto binds it
# (then pick another), and a port being reused after a stop may need a moment.
for attempt in 1 2 3; do
  port="${fixed_port:-$(svc_free_port)}"
  url="http://127.0.0.1:$port"
  offset="$(wc -c < "$log")"
  env -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_SECRETS_MANAGER \
    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 \
    "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" </dev/null >>"$log" 2>&1 &
  pid=$!
  svc_wait_http "$url/moto-api/data.json" 200 60 "$pid" && break
  svc_kill "$pid"
  if [ "$attempt" -lt 3 ] && grep -qiE 'address already in use|in use by another program' <<<"$(tail -c +"$((offset + 1))" "$log")"; then
    svc_log "port $port is in use; retrying"
    sleep 1
    continue
  fi
  svc_log "moto failed to start; last log lines:"; tail -n 30 "$log" >&2
  exit 1
done

tmp="$MOTO_ENV_FILE.tmp.$$"
cat > "$tmp" <<ENV
AWS_ENDPOINT_URL_SECRETS_MANAGER=$url
PHLOW_MOTO_URL=$url
PHLOW_MOTO_PID=$pid
PHLOW_MOTO_PORT=$port
PHLOW_MOTO_VENV=$venv
PHLOW_MOTO_LOG=$log
AWS_REGION=us-east-1
AWS_DEFAULT_REGION=us-east-1
AWS_ACCESS_KEY_ID=testing
AWS_SECRET_ACCESS_KEY=testing
AWS_EC2_METADATA_DISABLED=true
ENV
mv -f "$tmp" "$MOTO_ENV_FILE"
svc_log "moto up at $url (pid $pid, ${SECONDS}s)"
