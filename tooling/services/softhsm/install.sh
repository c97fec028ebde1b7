#!/usr/bin/env bash
# Usage: bash tooling/services/softhsm/install.sh
#
# Makes sure SoftHSM2 (Debian package softhsm2: softhsm2-util and the PKCS#11 module libsofthsm2.so) is
# installed, installing it with apt-get when it is not (as root; apt-get update first if the package is
# unknown). Prints the module path. Idempotent.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

find_module() {
  local m
  for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so; do
    [ -f "$m" ] && { printf '%s\n' "$m"; return 0; }
  done
  return 1
}

if ! command -v softhsm2-util >/dev/null 2>&1 || ! find_module >/dev/null; then
  svc_apt_install softhsm2
fi
find_module || svc_die "softhsm2 is installed but libsofthsm2.so was not found"
