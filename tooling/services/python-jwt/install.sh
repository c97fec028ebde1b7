#!/usr/bin/env bash
# Install (once per machine) PyJWT + cryptography pinned in ./requirements.txt (with ./constraints.txt)
# into a virtualenv cached outside the repo, for the interop tests of @phlow/keys-jwt:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/phlow-keys/python-jwt-<PyJWT version>/
# Idempotent: a venv whose stamp matches the pinned files is reused; concurrent runs wait on one lock.
# Prints the venv directory on stdout; progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[python-jwt:install] %s\n' "$*" >&2; }

version="$(sed -n 's/^PyJWT==\([^ ]*\).*/\1/p' "$here/requirements.txt")"
[ -n "$version" ] || { log "cannot read the pinned PyJWT version from $here/requirements.txt"; exit 1; }

venv="${XDG_CACHE_HOME:-$HOME/.cache}/phlow-keys/python-jwt-$version"
stamp="$venv/.phlow-stamp"
want="$(cat "$here/requirements.txt" "$here/constraints.txt" | cksum | cut -d' ' -f1)"

ready() { [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }
if ready; then echo "$venv"; exit 0; fi

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if ready; then echo "$venv"; exit 0; fi

py="${PYTHON:-}"
if [ -z "$py" ]; then
  for c in python3 python; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; then
      py="$c"; break
    fi
  done
fi
[ -n "$py" ] || { log "need python >= 3.9 with the venv module (Debian: apt-get install -y python3-venv)"; exit 1; }

SECONDS=0
log "creating venv $venv with $("$py" --version 2>&1)"
rm -rf "$venv"
"$py" -m venv "$venv"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
log "pip install PyJWT==$version cryptography (first time only)"
"$venv/bin/python" -m pip install --progress-bar off -q -r "$here/requirements.txt" -c "$here/constraints.txt" >&2
"$venv/bin/python" -c 'import jwt, cryptography' >&2
echo "$want" > "$stamp"
log "installed in ${SECONDS}s: $("$venv/bin/python" -c 'import jwt, cryptography; print("PyJWT", jwt.__version__, "cryptography", cryptography.__version__)')"
echo "$venv"
