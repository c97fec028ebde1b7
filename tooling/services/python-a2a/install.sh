#!/usr/bin/env bash
# Install (once per machine) a2a-sdk[signing] + rfc8785 pinned in ./requirements.txt into a virtualenv cached
# outside the repo, for the interop and canonicalization tests of @phlow/keys-a2a:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/phlow-keys/python-a2a-<a2a-sdk version>/
# Idempotent: a venv whose stamp matches the pinned files is reused; concurrent runs wait on one lock.
# Prints the venv directory on stdout; progress goes to stderr (see ../lib/python-venv.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/python-venv.sh
source "$here/../lib/python-venv.sh"
python_venv_install "$here" python-a2a 'a2a-sdk\[signing\]' python \
  'rfc8785 (first time only)' \
  'import importlib.metadata as m, a2a.utils.signing, rfc8785; print("a2a-sdk", m.version("a2a-sdk"), "rfc8785", m.version("rfc8785"), "PyJWT", m.version("PyJWT"))'
