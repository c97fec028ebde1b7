#!/usr/bin/env bash
# Usage: bash tooling/services/with-services.sh <command...>
#
# Ensures the real Vault binary and the moto venv exist (built/installed on first
# use, cached under ${XDG_CACHE_HOME:-$HOME/.cache}/phlow-keys/), starts
# `vault server -dev` and `moto_server` on free 127.0.0.1 ports, exports their
# variables (see README.md) plus PHLOW_SERVICES_DIR / PHLOW_SERVICES_HOME, runs
# the command, ALWAYS stops both servers, and exits with the command's status.
# PHLOW_SERVICES_KEEP=1 keeps the services dir (env files, logs) afterwards.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"

if [ "$#" -eq 0 ]; then
  echo "usage: bash tooling/services/with-services.sh <command...>" >&2
  exit 2
fi

# Always a fresh services dir: a nested call gets its own servers.
PHLOW_SERVICES_DIR="$(mktemp -d "${TMPDIR:-/tmp}/phlow-services.XXXXXX")"
export PHLOW_SERVICES_DIR PHLOW_SERVICES_HOME
unset PHLOW_VAULT_PORT PHLOW_MOTO_PORT

cleaned=0
watchdog=""
cleanup() {
  local rc=$?
  [ "$cleaned" = 1 ] && return "$rc"
  cleaned=1
  trap - EXIT INT TERM
  [ -z "$watchdog" ] || kill "$watchdog" 2>/dev/null || true
  bash "$here/moto/stop.sh" || true
  bash "$here/vault/stop.sh" || true
  if [ "${PHLOW_SERVICES_KEEP:-}" = 1 ]; then
    svc_log "kept $PHLOW_SERVICES_DIR"
  else
    rm -rf "$PHLOW_SERVICES_DIR"
  fi
  return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. Binaries: the Vault build is CPU-bound, the moto install mostly network; do both at once.
bash "$here/vault/build.sh" >/dev/null &
build_pid=$!
bash "$here/moto/install.sh" >/dev/null &
install_pid=$!
wait "$build_pid" || svc_die "building vault failed"
wait "$install_pid" || svc_die "installing moto failed"

# 2. Servers. A watchdog stops them if this script dies without running its
# EXIT trap (e.g. SIGKILL); it is killed by the trap in the normal case.
(
  trap - EXIT INT TERM
  while kill -0 "$$" 2>/dev/null; do sleep 1; done
  bash "$here/moto/stop.sh" || true
  bash "$here/vault/stop.sh" || true
  [ "${PHLOW_SERVICES_KEEP:-}" = 1 ] || rm -rf "$PHLOW_SERVICES_DIR"
) </dev/null >/dev/null 2>&1 &
watchdog=$!

SECONDS=0
bash "$here/vault/start.sh" &
vault_start=$!
bash "$here/moto/start.sh" &
moto_start=$!
wait "$vault_start" || svc_die "starting vault failed (log: $PHLOW_SERVICES_DIR/vault.log)"
wait "$moto_start" || svc_die "starting moto failed (log: $PHLOW_SERVICES_DIR/moto.log)"
svc_log "services up in ${SECONDS}s (PHLOW_SERVICES_DIR=$PHLOW_SERVICES_DIR)"

# 3. Environment for the command.
# KEY=value lines, values taken verbatim (no shell quoting rules).
for f in "$PHLOW_SERVICES_DIR/vault.env" "$PHLOW_SERVICES_DIR/moto.env"; do
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in [A-Za-z_]*=*) export "${line%%=*}=${line#*=}" ;; esac
  done < "$f"
done
PATH="$(dirname "$PHLOW_VAULT_BIN"):$PATH"
export PATH

# 4. The command; its status is ours. (EXIT trap stops the servers.)
set +e
"$@"
rc=$?
set -e
exit "$rc"
