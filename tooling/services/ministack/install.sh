#!/usr/bin/env bash
# Install (once per machine) ministack, pinned in ./requirements.txt, into a virtualenv cached outside the
# repo: ${XDG_CACHE_HOME:-$HOME/.cache}/phlow-keys/ministack-<version>/. Prints the venv directory on stdout;
# progress goes to stderr. Serialised with flock, like moto/install.sh (both use ../lib/python-venv.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/python-venv.sh
source "$here/../lib/python-venv.sh"
python_venv_install "$here" ministack ministack ministack \
  'cryptography (first time only)' \
  'from importlib.metadata import version as v; print("ministack", v("ministack"), "cryptography", v("cryptography"))'
