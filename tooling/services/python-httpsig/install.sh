#!/usr/bin/env bash
# Install (once per machine) http-message-signatures pinned in ./requirements.txt (with ./constraints.txt)
# into a virtualenv cached outside the repo, for the interop tests of @phlow/keys-httpsig:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/phlow-keys/python-httpsig-<http-message-signatures version>/
# Idempotent: a venv whose stamp matches the pinned files is reused; concurrent runs wait on one lock.
# Prints the venv directory on stdout; progress goes to stderr (see ../lib/python-venv.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/python-venv.sh
source "$here/../lib/python-venv.sh"
python_venv_install "$here" python-httpsig http-message-signatures python \
  '(first time only)' \
  'import http_message_signatures, cryptography, http_sf; from importlib.metadata import version; print("http-message-signatures", version("http-message-signatures"), "cryptography", cryptography.__version__)'
