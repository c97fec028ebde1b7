# Shared helpers for tooling/services scripts. Source it; do not execute it.
# shellcheck shell=bash

PHLOW_SERVICES_HOME="${PHLOW_SERVICES_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
export PHLOW_SERVICES_HOME

svc_log() { printf '[services] %s\n' "$*" >&2; }
svc_die() { svc_log "ERROR: $*"; exit 1; }

# svc_apt_install PACKAGE: installs a Debian package with apt-get (as root, apt-get update first when the
# package is unknown), for what the tests need from the machine (SoftHSM2, a zsh for the completion test).
# Dies with the command to run by hand when this is not root or there is no apt-get.
svc_apt_install() {
  local pkg="$1"
  [ "$(id -u)" = 0 ] || svc_die "$pkg is not installed and this is not root: apt-get install -y $pkg"
  command -v apt-get >/dev/null 2>&1 || svc_die "$pkg is not installed and there is no apt-get: install $pkg by hand"
  svc_log "installing $pkg"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y "$pkg" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "$pkg" >/dev/null; }
}

# Ensure PHLOW_SERVICES_DIR (holding vault.env / moto.env / logs) exists; a
# fresh temp dir is created and exported if it is unset. Call it directly, not
# inside $(...), so the export sticks.
svc_dir() {
  if [ -z "${PHLOW_SERVICES_DIR:-}" ]; then
    PHLOW_SERVICES_DIR="$(mktemp -d "${TMPDIR:-/tmp}/phlow-services.XXXXXX")"
    export PHLOW_SERVICES_DIR
    svc_log "PHLOW_SERVICES_DIR=$PHLOW_SERVICES_DIR"
  fi
  mkdir -p "$PHLOW_SERVICES_DIR"
}

# Print a free TCP port on 127.0.0.1.
svc_free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
  else
    node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
  fi
}

# svc_http_code METHOD URL -> prints the HTTP status code ("000" if no answer).
# Sends X-Vault-Token: $SVC_HTTP_TOKEN when that variable is set.
svc_http_code() {
  local method="$1" url="$2" tok="${SVC_HTTP_TOKEN:-}"
  if command -v curl >/dev/null 2>&1; then
    local hdr=()
    [ -n "$tok" ] && hdr=(-H "X-Vault-Token: $tok")
    curl -s -o /dev/null -m 5 -w '%{http_code}' -X "$method" "${hdr[@]}" "$url" || true
  else
    node -e '
      const [m, u, t] = process.argv.slice(1);
      fetch(u, { method: m, headers: t ? { "x-vault-token": t } : {}, signal: AbortSignal.timeout(5000) })
        .then(r => console.log(r.status), () => console.log("000"));' "$method" "$url" "$tok"
  fi
}

# svc_wait_http URL CODE TIMEOUT_SECONDS [PID]: poll until GET URL returns CODE.
# Fails early if PID (the server) dies.
svc_wait_http() {
  local url="$1" want="$2" timeout="$3" pid="${4:-}" code deadline=$((SECONDS + $3))
  while :; do
    code="$(svc_http_code GET "$url")"
    [ "$code" = "$want" ] && return 0
    if [ -n "$pid" ] && ! svc_alive "$pid"; then
      svc_log "server (pid $pid) exited while waiting for $url"
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      svc_log "timed out after ${timeout}s waiting for $url to return $want (last: $code)"
      return 1
    fi
    sleep 0.2
  done
}

# svc_wait_port_free PORT TIMEOUT_SECONDS
svc_wait_port_free() {
  local port="$1" deadline=$((SECONDS + $2))
  while [ "$(svc_http_code GET "http://127.0.0.1:$port/")" != "000" ]; do
    [ "$SECONDS" -ge "$deadline" ] && { svc_log "port $port still answering after $2s"; return 1; }
    sleep 0.2
  done
}

# svc_alive PID: running and not a zombie.
svc_alive() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
  if [ -r "/proc/$1/stat" ]; then
    case "$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" in Z|X) return 1 ;; esac
  fi
  return 0
}

# svc_kill PID: SIGTERM, wait up to 10s, then SIGKILL. No-op if not running.
svc_kill() {
  local pid="$1" i
  [ -n "$pid" ] || return 0
  svc_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    svc_alive "$pid" || return 0
    sleep 0.2
  done
  svc_log "pid $pid did not exit after SIGTERM; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for i in $(seq 1 25); do
    svc_alive "$pid" || return 0
    sleep 0.2
  done
}

# svc_env_get FILE KEY: value of KEY=... in an env file (empty if absent).
svc_env_get() {
  [ -f "$1" ] || return 0
  sed -n "s/^$2=//p" "$1" | tail -n 1
}

# svc_env_set FILE KEY VALUE: set/replace KEY in an env file (atomic rewrite).
svc_env_set() {
  local file="$1" key="$2" value="$3" tmp
  tmp="$file.tmp.$$"
  { [ -f "$file" ] && grep -v "^$key=" "$file" || true; printf '%s=%s\n' "$key" "$value"; } > "$tmp"
  mv -f "$tmp" "$file"
}

# svc_stop NAME ENV_FILE VAR_PREFIX: stop the server recorded in ENV_FILE (no-op if none) and wait until its
# port is free. ENV_FILE is kept, with <VAR_PREFIX>_PID emptied, so that start.sh reuses the port.
svc_stop() {
  local name="$1" file="$2" prefix="$3" pid port
  [ -f "$file" ] || return 0
  pid="$(svc_env_get "$file" "${prefix}_PID")"
  port="$(svc_env_get "$file" "${prefix}_PORT")"
  svc_kill "$pid"
  [ -z "$port" ] || svc_wait_port_free "$port" 15
  svc_env_set "$file" "${prefix}_PID" ""
  [ -z "$pid" ] || svc_log "$name stopped (pid $pid)"
}
