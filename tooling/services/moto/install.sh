#!/usr/bin/env bash
# Install (once per machine) moto[server] pinned in ./requirements.txt (with
# ./constraints.txt) into a virtualenv cached outside the repo:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/phlow-keys/moto-<version>/
# Prints the venv directory on stdout; progress goes to stderr (see ../lib/python-venv.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/python-venv.sh
source "$here/../lib/python-venv.sh"
python_venv_install "$here" moto 'moto\[server\]' moto_server \
  '(first time only; takes a minute)' \
  'import moto; print("moto", moto.__version__)'
