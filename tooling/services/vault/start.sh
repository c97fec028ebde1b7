#!/usr/bin/env bash
# Start a real `vault server -dev` on 127.0.0.1 and enable the `phlow` KV v2
# mount, then write $PHLOW_SERVICES_DIR/vault.env.
# Port: the one already recorded in vault.env (so a stop + start keeps the
# same address), else $PHLOW_VAULT_PORT, else a free port.
# Dev mode keeps data in memory: a stop + start comes back EMPTY (same port,
# same root token, fresh `phlow` mount, NEW unseal key in vault.env).
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/_env.sh"

old_pid="$(svc_env_get "$VAULT_ENV_FILE" PHLOW_VAULT_PID)"
if svc_alive "$old_pid"; then
  svc_log "vault already running (pid $old_pid) at $(svc_env_get "$VAULT_ENV_FILE" VAULT_ADDR)"
  exit 0
fi

bin="${PHLOW_VAULT_BIN_OVERRIDE:-$(bash "$PHLOW_SERVICES_HOME/vault/build.sh")}"
fixed_port="$(svc_env_get "$VAULT_ENV_FILE" PHLOW_VAULT_PORT)"
fixed_port="${fixed_port:-${PHLOW_VAULT_PORT:-}}"
log="$PHLOW_SERVICES_DIR/vault.log"
home="$PHLOW_SERVICES_DIR/vault-home"
mkdir -p "$home"
touch "$log"

SECONDS=0
pid=""
fail() { svc_log "vault failed to start; last log lines:"; tail -n 30 "$log" >&2; svc_kill "$pid"; exit 1; }
# Up to 3 attempts: a freshly picked free port can be taken before vault binds it
# (then pick another), and a port being reused after a stop may need a moment.
for attempt in 1 2 3; do
  port="${fixed_port:-$(svc_free_port)}"
  addr="http://127.0.0.1:$port"
  offset="$(wc -c < "$log")"
  env -u VAULT_ADDR -u VAULT_TOKEN -u VAULT_NAMESPACE HOME="$home" \
    "$bin" server -dev \
      -dev-listen-address="127.0.0.1:$port" \
      -dev-root-token-id="$PHLOW_VAULT_ROOT_TOKEN" \
      -dev-no-store-token \
      -log-level=warn \
    </dev/null >>"$log" 2>&1 &
  pid=$!
  svc_wait_http "$addr/v1/sys/health" 200 60 "$pid" && break
  svc_kill "$pid"
  if [ "$attempt" -lt 3 ] && grep -qi 'address already in use' <<<"$(tail -c +"$((offset + 1))" "$log")"; then
    svc_log "port $port is in use; retrying"
    sleep 1
    continue
  fi
  fail
done

unseal_key=""
for _ in $(seq 1 100); do
  unseal_key="$(tail -c +"$((offset + 1))" "$log" | sed -n 's/^Unseal Key: *//p' | tail -n 1)"
  [ -n "$unseal_key" ] && break
  sleep 0.1
done
[ -n "$unseal_key" ] || { svc_log "could not find 'Unseal Key:' in $log"; fail; }

tmp="$VAULT_ENV_FILE.tmp.$$"
cat > "$tmp" <<ENV
VAULT_ADDR=$addr
VAULT_URL=$addr
VAULT_TOKEN=$PHLOW_VAULT_ROOT_TOKEN
PHLOW_VAULT_BIN=$bin
PHLOW_VAULT_PID=$pid
PHLOW_VAULT_PORT=$port
PHLOW_VAULT_UNSEAL_KEY=$unseal_key
PHLOW_VAULT_LOG=$log
ENV
mv -f "$tmp" "$VAULT_ENV_FILE"

# Exactly what the user guide does.
vault_cli secrets enable -path=phlow kv-v2 >/dev/null || fail
# A fresh kv-v2 mount can briefly answer "upgrading"; wait until it is usable.
SVC_HTTP_TOKEN="$PHLOW_VAULT_ROOT_TOKEN" svc_wait_http "$addr/v1/phlow/config" 200 30 "$pid" || fail

svc_log "vault up at $addr (pid $pid, ${SECONDS}s)"
