#!/usr/bin/env bash
# Usage: bash tooling/services/softhsm/with-token.sh <command...>
#
# Runs <command> with a throw-away SoftHSM2 token: installs SoftHSM2 if needed (install.sh), creates a temp
# directory with its own softhsm2.conf and token directory (so no system token is touched), initialises one
# token in it with a random user PIN, exports SOFTHSM2_CONF, PHLOW_PKCS11_MODULE, PHLOW_PKCS11_TOKEN and
# PHLOW_PKCS11_PIN_FILE (the PIN is in a 0600 file, never in the environment or on a command line other
# than softhsm2-util's own), runs the command, ALWAYS removes the directory, and exits with its status.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

[ "$#" -gt 0 ] || { echo "usage: bash tooling/services/softhsm/with-token.sh <command...>" >&2; exit 2; }

module="$(bash "$here/install.sh")"
dir="$(mktemp -d "${TMPDIR:-/tmp}/phlow-softhsm.XXXXXX")"
trap 'rm -rf "$dir"' EXIT INT TERM
chmod 700 "$dir"
mkdir "$dir/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$dir/tokens" >"$dir/softhsm2.conf"
umask 077
pin="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
so_pin="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s' "$pin" >"$dir/pin"
label="phlow-test-$$"
SOFTHSM2_CONF="$dir/softhsm2.conf" softhsm2-util --init-token --free --label "$label" --pin "$pin" --so-pin "$so_pin" >/dev/null
svc_log "softhsm token $label ready (module $module)"

export SOFTHSM2_CONF="$dir/softhsm2.conf" PHLOW_PKCS11_MODULE="$module" PHLOW_PKCS11_TOKEN="$label" PHLOW_PKCS11_PIN_FILE="$dir/pin"
set +e
"$@"
status=$?
set -e
exit "$status"
