#!/usr/bin/env bash
# Fallback used by build.sh when no `go` is installed: fetch the official Go
# toolchain from the Go module proxy (module golang.org/toolchain, which is how
# `go` itself downloads toolchains) into the cache, and print the path of `go`.
set -euo pipefail
log() { printf '[vault:build] %s\n' "$*" >&2; }

go_version="${PHLOW_GO_VERSION:-1.25.3}"   # the go directive of Vault's go.mod
case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) log "unsupported OS $(uname -s)"; exit 1 ;; esac
case "$(uname -m)" in x86_64|amd64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) log "unsupported arch $(uname -m)"; exit 1 ;; esac

mod="v0.0.1-go$go_version.$os-$arch"
dest="${XDG_CACHE_HOME:-$HOME/.cache}/phlow-keys/go-$go_version-$os-$arch"
go_bin="$dest/golang.org/toolchain@$mod/bin/go"
if [ -x "$go_bin" ]; then echo "$go_bin"; exit 0; fi

proxy="${GOPROXY:-https://proxy.golang.org}"
proxy="${proxy%%,*}"
[ "$proxy" = direct ] || [ "$proxy" = off ] && proxy=https://proxy.golang.org
url="$proxy/golang.org/toolchain/@v/$mod.zip"
log "no Go found; downloading go$go_version from $url"
mkdir -p "$dest"
zip="$dest/toolchain.zip"
curl -fsSL --retry 3 -o "$zip" "$url" >&2
python3 - "$zip" "$dest" <<'PY'
import sys, zipfile, os
zf = zipfile.ZipFile(sys.argv[1])
for info in zf.infolist():
    path = zf.extract(info, sys.argv[2])
    mode = (info.external_attr >> 16) & 0o777
    if mode:
        os.chmod(path, mode)
    elif "/bin/" in info.filename or "/pkg/tool/" in info.filename:
        os.chmod(path, 0o755)
PY
rm -f "$zip"
"$go_bin" version >&2
echo "$go_bin"
