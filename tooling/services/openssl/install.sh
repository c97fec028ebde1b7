#!/usr/bin/env bash
# Usage: bash tooling/services/openssl/install.sh
#
# Makes sure the openssl command is installed (Debian package openssl), installing it with apt-get when it is
# not: keys-jwt's remote key set tests make a self-signed certificate for their loopback HTTPS servers with it
# (node:crypto can sign but not issue an X.509 certificate). Prints the path of openssl. Idempotent.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

command -v openssl >/dev/null 2>&1 || svc_apt_install openssl
command -v openssl || svc_die "openssl was installed but is not on PATH"
