#!/usr/bin/env bash
# Usage: bash tooling/services/zsh/install.sh
#
# Makes sure zsh is installed (Debian package zsh), installing it with apt-get when it is not: the CLI's
# completion test runs the generated zsh completion script in a real zsh, and a fresh machine has none.
# Prints the path of zsh. Idempotent.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

command -v zsh >/dev/null 2>&1 || svc_apt_install zsh
command -v zsh || svc_die "zsh was installed but is not on PATH"
