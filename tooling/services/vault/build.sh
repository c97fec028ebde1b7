#!/usr/bin/env bash
# Build (once per machine) the real HashiCorp Vault binary from the Go module
# pinned in ./go.mod, and cache it outside the repo:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/phlow-keys/vault-<version>/vault
# Prints the path of the binary on stdout; progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[vault:build] %s\n' "$*" >&2; }

version="$(awk '$1 == "require" && $2 == "github.com/hashicorp/vault" { print $3 }' "$here/go.mod")"
[ -n "$version" ] || { log "cannot read the pinned vault version from $here/go.mod"; exit 1; }

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/phlow-keys"
out_dir="$cache_root/vault-$version"
bin="$out_dir/vault"

if [ -x "$bin" ] && [ "${PHLOW_VAULT_REBUILD:-}" != "1" ]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$out_dir"
# Serialise concurrent first builds on the same machine.
exec 9>"$out_dir/.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
if [ -x "$bin" ] && [ "${PHLOW_VAULT_REBUILD:-}" != "1" ]; then
  echo "$bin"
  exit 0
fi

# Find a Go toolchain: $GO, PATH, or the usual install location.
go_bin="${GO:-}"
if [ -z "$go_bin" ]; then
  if command -v go >/dev/null 2>&1; then go_bin="$(command -v go)";
  elif [ -x /usr/local/go/bin/go ]; then go_bin=/usr/local/go/bin/go;
  else echo "[services] no Go toolchain found: install Go >= 1.25 (https://go.dev/doc/install) or set GO=/path/to/go" >&2; exit 1; fi
fi
log "using $("$go_bin" version)"

export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"
export CGO_ENABLED="${CGO_ENABLED:-0}"
# -mod=mod: tolerate a go.sum that misses an entry instead of failing the build.
export GOFLAGS="-mod=mod -buildvcs=false"

log "building github.com/hashicorp/vault $version -> $bin"
log "first build on a machine takes ~8 min on 2 cores (~500 modules, ~2000 packages; needs ~7.5 GB of Go caches and ~4.5 GB RAM)"
SECONDS=0

# Progress: count module zips as they are fetched, and packages as they compile.
(cd "$here" && "$go_bin" mod download -x 2>&1) | {
  n=0
  while IFS= read -r line; do
    case "$line" in
      "# get "*.zip) n=$((n + 1)); [ $((n % 50)) -eq 0 ] && log "downloaded $n module zips ($((SECONDS))s)" ;;
      go:*) printf '%s\n' "$line" >&2 ;;
    esac
  done
  log "modules ready ($n fetched, $((SECONDS))s)"
} || true

tmp="$out_dir/vault.tmp.$$"
trap 'rm -f "$tmp"' EXIT
set +e
(cd "$here" && "$go_bin" build -v -trimpath -ldflags "-s -w" -o "$tmp" . 2>&1) | {
  n=0
  while IFS= read -r line; do
    case "$line" in
      *" "*|"#"*|"") printf '%s\n' "$line" >&2 ;;   # compiler output / errors
      *) n=$((n + 1)); [ $((n % 100)) -eq 0 ] && log "compiled $n packages ($((SECONDS))s)" ;;
    esac
  done
}
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ] || [ ! -x "$tmp" ]; then
  log "build FAILED (exit $rc)"
  exit 1
fi
mv -f "$tmp" "$bin"
log "built in ${SECONDS}s: $("$bin" version 2>/dev/null || echo '?')"
echo "$bin"
