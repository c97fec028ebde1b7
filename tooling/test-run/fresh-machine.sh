#!/usr/bin/env bash
# Usage: bash tooling/test-run/fresh-machine.sh [command]
#
# Runs the README's test command (default: npm install -g pnpm@10.34.9 && pnpm install --frozen-lockfile &&
# pnpm test) the way a fresh machine of the image would: in a new clone of HEAD, with empty caches (new
# XDG_CACHE_HOME, XDG_DATA_HOME, XDG_STATE_HOME and npm cache, so Vault is built, moto, the Node lines and every
# package are fetched again), PATH limited to the system directories, and no inherited variables except the
# machine's network settings (proxy, CA bundle, pip's index and certificate settings). HOME stays, because the
# image's own files there (~/.npmrc, ~/.gitconfig) are part of the machine. What this machine installed by hand
# into the system directories (such as zsh by an earlier run) is still there: the spawn audit of `pnpm test`
# covers that. Prints the run's duration; leaves the clone and caches under /tmp/phlow-fresh.* for inspection.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fresh="$(mktemp -d /tmp/phlow-fresh.XXXXXX)"
git clone -q "$root" "$fresh/phlow-keys"
mkdir -p "$fresh/cache" "$fresh/data" "$fresh/state" "$fresh/npm-cache"
keep=()
for name in HTTP_PROXY HTTPS_PROXY NO_PROXY ALL_PROXY http_proxy https_proxy no_proxy all_proxy \
  NODE_EXTRA_CA_CERTS SSL_CERT_FILE SSL_CERT_DIR PIP_CERT PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL \
  PIP_DEFAULT_TIMEOUT PIP_DISABLE_PIP_VERSION_CHECK; do
  if [ -n "${!name:-}" ]; then keep+=("$name=${!name}"); fi
done
command="${1:-npm install -g pnpm@10.34.9 && pnpm install --frozen-lockfile && pnpm test}"
started=$SECONDS
set +e
(cd "$fresh/phlow-keys" && env -i HOME="$HOME" TERM=dumb CI=true \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  XDG_CACHE_HOME="$fresh/cache" XDG_DATA_HOME="$fresh/data" XDG_STATE_HOME="$fresh/state" \
  npm_config_cache="$fresh/npm-cache" "${keep[@]}" bash -c "$command")
status=$?
echo "fresh-machine: exit $status after $((SECONDS - started)) s (clone and caches in $fresh)"
exit "$status"
