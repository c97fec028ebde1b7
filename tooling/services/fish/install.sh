#!/usr/bin/env bash
# Usage: bash tooling/services/fish/install.sh
#
# Makes sure fish is installed (Debian package fish), installing it with apt-get when it is not: the CLI's
# completion test runs the generated fish completion script in a real fish, and a fresh machine has none.
# Prints the path of fish. Idempotent. Where it cannot install (not root, no apt-get) it fails with the
# command to run by hand, and the fish completion test reports itself skipped with that reason.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

command -v fish >/dev/null 2>&1 || svc_apt_install fish
command -v fish || svc_die "fish was installed but is not on PATH"
