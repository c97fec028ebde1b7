#!/usr/bin/env bash
# Install (once per machine) PyJWT + cryptography pinned in ./requirements.txt (with ./constraints.txt)
# into a virtualenv cached outside the repo, for the interop tests of @phlow/keys-jwt:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/phlow-keys/python-jwt-<PyJWT version>/
# Idempotent: a venv whose stamp matches the pinned files is reused; concurrent runs wait on one lock.
# Prints the venv directory on stdout; progress goes to stderr (see ../lib/python-venv.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/python-venv.sh
source "$here/../lib/python-venv.sh"
python_venv_install "$here" python-jwt PyJWT python \
  'cryptography (first time only)' \
  'import jwt, cryptography; print("PyJWT", jwt.__version__, "cryptography", cryptography.__version__)'
