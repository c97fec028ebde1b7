# The one installer of a pinned Python package into a virtualenv cached outside the repo, shared by
# moto/, python-jwt/, python-a2a/, python-httpsig/ and ministack/install.sh: ${XDG_CACHE_HOME:-$HOME/.cache}/phlow-keys/<name>-<version>/.
# Source it, then call python_venv_install. Idempotent: a venv whose stamp matches the pinned files is reused;
# concurrent runs wait on one lock (flock, when present) and the later ones find the venv ready.
# Prints the venv directory on stdout; progress goes to stderr.
# shellcheck shell=bash

# python_venv_install DIR NAME PIN ENTRY NOTE CHECK
#   DIR    the installer's directory, holding requirements.txt and, if there is one, constraints.txt
#   NAME   the cache directory's name before -<version>; existing caches are found by it, so it never changes
#   PIN    the package in requirements.txt whose pinned version names the cache, as a sed pattern (moto\[server\])
#   ENTRY  the file in the venv's bin/ that a finished install has
#   NOTE   the rest of the pip progress line, after "pip install <PIN>==<version>"
#   CHECK  Python that imports what was installed and prints its versions: a venv that fails it gets no stamp
python_venv_install() {
  local dir="$1" name="$2" pin="$3" entry="$4" note="$5" check="$6"
  local version venv stamp want py c report inputs=("$1/requirements.txt") cons=()
  log() { printf '[%s:install] %s\n' "$name" "$*" >&2; }

  version="$(sed -n "s/^$pin==\([^ ]*\).*/\1/p" "$dir/requirements.txt")"
  [ -n "$version" ] || { log "cannot read the pinned ${pin%%\\[*} version from $dir/requirements.txt"; exit 1; }

  venv="${XDG_CACHE_HOME:-$HOME/.cache}/phlow-keys/$name-$version"
  stamp="$venv/.phlow-stamp"
  if [ -f "$dir/constraints.txt" ]; then
    inputs+=("$dir/constraints.txt")
    cons=(-c "$dir/constraints.txt")
  fi
  want="$(cat "${inputs[@]}" | cksum | cut -d' ' -f1)"

  ready() { [ -x "$venv/bin/$entry" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }
  if ready; then echo "$venv"; exit 0; fi

  mkdir -p "$(dirname "$venv")"
  exec 9>"$venv.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if ready; then echo "$venv"; exit 0; fi

  py="${PYTHON:-}"
  if [ -z "$py" ]; then
    for c in python3 python; do
      if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; then
        py="$c"; break
      fi
    done
  fi
  [ -n "$py" ] || { log "need python >= 3.9 with the venv module (Debian: apt-get install -y python3-venv)"; exit 1; }

  SECONDS=0
  log "creating venv $venv with $("$py" --version 2>&1)"
  rm -rf "$venv"
  "$py" -m venv "$venv"
  export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
  log "pip install ${pin//\\/}==$version $note"
  "$venv/bin/python" -m pip install --progress-bar off -q -r "$dir/requirements.txt" "${cons[@]}" >&2
  report="$("$venv/bin/python" -c "$check")"
  echo "$want" > "$stamp"
  log "installed in ${SECONDS}s: $report"
  echo "$venv"
}
