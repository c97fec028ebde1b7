#!/usr/bin/env bash
# The phlow-keys tour: init, generate, sign and verify, rotate, the JWK Set during the grace period, and a
# signature from before the rotation that still verifies. `pnpm demo` builds the CLI and runs this.
#
# It works in a fresh temporary directory (deleted at the end), with every PHLOW_* variable of your shell
# unset, so it never touches your .phlow/ or your keys. It stops at the first step that does not do what it
# says (set -e, plus explicit checks).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cli="$here/dist/cli.js"
if [ ! -f "$cli" ]; then
  echo "phlow-keys is not built yet: run \`pnpm demo\` from the repository root (it builds, then runs this)." >&2
  exit 1
fi

# Your shell's store settings must not leak into the tour.
for name in $(compgen -v | grep '^PHLOW_' || true); do unset "$name"; done

work="$(mktemp -d "${TMPDIR:-/tmp}/phlow-keys-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$work"

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\e[1m' dim=$'\e[2m' reset=$'\e[0m'; else bold='' dim='' reset=''; fi

phlow-keys() { node "$cli" "$@"; }

step() { printf '\n%s== %s%s\n' "$bold" "$*" "$reset"; }

# Shows the command, then runs it. The signature is shown as "$sig", the variable it is kept in.
run() {
  local shown='' arg
  for arg in "$@"; do
    if [ -n "${sig:-}" ] && [ "$arg" = "--signature=$sig" ]; then arg='--signature="$sig"'; fi
    case "$arg" in *[[:space:]]*) shown+=" \"$arg\"" ;; *) shown+=" $arg" ;; esac
  done
  printf '%s$ phlow-keys%s%s\n' "$dim" "$shown" "$reset"
  phlow-keys "$@"
}

fail() { printf 'demo failed: %s\n' "$*" >&2; exit 1; }

agent=demo-agent
message="hello from $agent"

printf '%sphlow-keys demo%s: a throw-away project in %s\n' "$bold" "$reset" "$work"

step '1. Set up an encrypted key store in .phlow/ (no server needed)'
run init

step "2. Generate an Ed25519 signing key for \"$agent\""
run generate "$agent"

step '3. Sign a message, then verify the signature'
printf '%s$ sig=$(phlow-keys sign %s --message "%s")%s\n' "$dim" "$agent" "$message" "$reset"
sig="$(phlow-keys sign "$agent" --message "$message")"
echo "$sig"
# --signature=... because a base64url signature may start with "-".
run verify "$agent" --signature="$sig" --message "$message"

step '4. Rotate the key: a new current key, the old one keeps verifying for the grace period'
run rotate "$agent"

step '5. The JWK Set verifiers fetch now holds both keys'
jwks="$(phlow-keys jwks)"
printf '%s$ phlow-keys jwks%s\n%s\n' "$dim" "$reset" "$jwks"
count="$(node -e 'console.log(JSON.parse(process.argv[1]).keys.length)' "$jwks")"
[ "$count" = 2 ] || fail "expected 2 keys in the JWK Set during the grace period, got $count"
run list

step '6. The signature made before the rotation still verifies'
run verify "$agent" --signature="$sig" --message "$message"

step '7. A changed message does not (exit code 1)'
if run verify "$agent" --signature="$sig" --message "hello from someone else"; then
  fail 'a signature of another message was accepted'
fi

printf '\n%sDone.%s The private key was never printed, the rotation did not break a signature made before it,\n' "$bold" "$reset"
printf 'and verifiers get every valid key from one JWK Set. More in apps/cli/README.md: migrate, doctor, rekey, vault, aws.\n'
