#!/usr/bin/env bash
# Install (once per machine) ministack, pinned in ./requirements.txt, into a virtualenv cached outside the
# repo: ${XDG_CACHE_HOME:-$HOME/.cache}/phlow-keys/ministack-<version>/. Prints the venv directory on stdout;
# progress goes to stderr. Serialised with flock, like moto/install.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[ministack:install] %s\n' "$*" >&2; }

version="$(sed -n 's/^ministack==\([^ ]*\).*/\1/p' "$here/requirements.txt")"
[ -n "$version" ] || { log "cannot read the pinned ministack version from $here/requirements.txt"; exit 1; }
venv="${XDG_CACHE_HOME:-$HOME/.cache}/phlow-keys/ministack-$version"
stamp="$venv/.phlow-stamp"
want="$(cksum <"$here/requirements.txt" | cut -d' ' -f1)"
ready() { [ -x "$venv/bin/ministack" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }
if ready; then echo "$venv"; exit 0; fi

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if ready; then echo "$venv"; exit 0; fi

log "creating venv $venv"
rm -rf "$venv"
python3 -m venv "$venv"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
"$venv/bin/python" -m pip install --progress-bar off -q -r "$here/requirements.txt" >&2
echo "$want" >"$stamp"
echo "$venv"
